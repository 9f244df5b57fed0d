import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { timestamp } from '../store/llm-call-appender.js';

/** What the root span of a trace gets in after-rollup mode: from the trace's `actions` row. */
export interface ActionTotals {
  /** DECIMAL(18,9) as exact text; null when none of the calls could be priced. */
  costUsd: string | null;
  calls: number;
}

export interface ActionLookup {
  /** `startedFrom`: the actions start at or after it, which keeps the read to the newest rows. */
  totals(traceIds: readonly string[], startedFrom: Date): Promise<Map<string, ActionTotals>>;
  close(): void;
}

const traceIdPattern = /^[0-9a-f]{32}$/;
const idsPerQuery = 1_000;

/** Reads `actions` rows on a connection of its own (DuckDB reads do not block the ledger's writer). */
export function duckDbActionLookup(instance: DuckDBInstance): ActionLookup {
  let connection: Promise<DuckDBConnection> | null = null;
  return {
    async totals(traceIds, startedFrom) {
      connection ??= instance.connect();
      const db = await connection;
      const result = new Map<string, ActionTotals>();
      // Decoded trace ids are 32 lowercase hex characters; anything else cannot have an action row.
      const ids = traceIds.filter((id) => traceIdPattern.test(id));
      for (let i = 0; i < ids.length; i += idsPerQuery) {
        const list = ids
          .slice(i, i + idsPerQuery)
          .map((id) => `'${id}'`)
          .join(',');
        const reader = await db.runAndReadAll(
          `SELECT trace_id, cost_usd::VARCHAR AS cost_usd, calls FROM actions WHERE start_time >= $started_from AND trace_id IN (${list})`,
          { started_from: timestamp(startedFrom) },
        );
        for (const row of reader.getRowObjectsJS()) {
          result.set(String(row.trace_id), { costUsd: row.cost_usd === null ? null : String(row.cost_usd), calls: Number(row.calls) });
        }
      }
      return result;
    },
    close() {
      void connection?.then((db) => db.closeSync());
      connection = null;
    },
  };
}
