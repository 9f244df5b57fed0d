import { readFile } from 'node:fs/promises';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { queriesDir } from '../store/database.js';
import { timestamp } from '../store/llm-call-appender.js';
import type { TraceRoot } from './trace-buffer.js';

/**
 * Temporary tables are emptied by re-creating them: DuckDB keeps the memory of rows deleted from a temporary
 * table, so a `DELETE` there would grow the process with every trace ever rolled up.
 */
const resetRollupTraces = 'CREATE OR REPLACE TEMP TABLE rollup_traces (trace_id VARCHAR);';
const resetRootsStage = 'CREATE OR REPLACE TEMP TABLE trace_roots_stage AS SELECT * FROM trace_roots LIMIT 0;';

export interface ActionWrite {
  traceId: string;
  root: TraceRoot | null;
  /** The root arrived and the trace went quiet within max_age. */
  complete: boolean;
}

export interface ActionWriteResult {
  written: number;
  /** Traces whose action row existed already: late spans updated it. */
  updated: Set<string>;
}

/**
 * Writes `trace_roots` and computes `actions` with queries/rollup-actions.sql. Every path that produces
 * actions (live, crash recovery, rebuild) goes through `recompute`, so they produce the same rows.
 */
export class ActionStore {
  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly rollupSql: string,
  ) {}

  static async open(instance: DuckDBInstance): Promise<ActionStore> {
    const connection = await instance.connect();
    await connection.run(`${resetRollupTraces} ${resetRootsStage}`);
    return new ActionStore(connection, await readFile(`${queriesDir}rollup-actions.sql`, 'utf8'));
  }

  /**
   * Records roots and (re)computes the actions of these traces in one transaction. `earliestStartMs` is the
   * earliest span start the roll-up saw for them; for traces written before (late spans), the start of their
   * existing action row reaches further back. Together they bound the ledger scan to the rows that matter.
   */
  async write(writes: ActionWrite[], earliestStartMs: number): Promise<ActionWriteResult> {
    if (writes.length === 0) return { written: 0, updated: new Set() };
    return this.inTransaction(async () => {
      await this.stageRoots(writes);
      await this.connection.run(`
        INSERT OR REPLACE INTO trace_roots SELECT * FROM trace_roots_stage;
        ${resetRootsStage}`);
      await this.listTraces((appender) => {
        for (const write of writes) {
          appender.appendVarchar(write.traceId);
          appender.endRow();
        }
      });
      const existing = (
        await this.connection.runAndReadAll(
          'SELECT trace_id, epoch_ms(start_time) AS start_ms FROM actions WHERE trace_id IN (SELECT trace_id FROM rollup_traces)',
        )
      ).getRowObjectsJS();
      const since = existing.reduce((min, row) => Math.min(min, Number(row.start_ms)), earliestStartMs);
      await this.recompute(new Date(since));
      return { written: writes.length, updated: new Set(existing.map((row) => String(row.trace_id))) };
    });
  }

  /** Crash recovery: calls whose trace never got an action get one (incomplete), from the ledger alone. */
  async recoverMissing(): Promise<number> {
    return this.inTransaction(async () => {
      await this.connection.run(`
        ${resetRollupTraces}
        INSERT INTO rollup_traces
          SELECT DISTINCT c.trace_id FROM llm_calls c ANTI JOIN actions a ON a.trace_id = c.trace_id;`);
      return this.recomputeListed();
    });
  }

  /** `genai-chargeback rebuild-actions`: drops and recomputes every action with a call since `since`. */
  async rebuild(since: Date | null): Promise<number> {
    return this.inTransaction(async () => {
      await this.connection.run(resetRollupTraces);
      if (since === null) await this.connection.run('INSERT INTO rollup_traces SELECT DISTINCT trace_id FROM llm_calls');
      else {
        await this.connection.run(
          'INSERT INTO rollup_traces SELECT DISTINCT trace_id FROM llm_calls WHERE start_time >= $since',
          { since: timestamp(since) },
        );
      }
      await this.connection.run('DELETE FROM actions WHERE trace_id IN (SELECT trace_id FROM rollup_traces)');
      return this.recomputeListed();
    });
  }

  close(): void {
    this.connection.closeSync();
  }

  private async recomputeListed(): Promise<number> {
    const bounds = await this.connection.runAndReadAll(
      `SELECT count(DISTINCT trace_id)::INTEGER AS n, epoch_ms(min(start_time)) AS since
       FROM llm_calls WHERE trace_id IN (SELECT trace_id FROM rollup_traces)`,
    );
    const row = bounds.getRowObjectsJS()[0];
    const count = Number(row?.n ?? 0);
    if (count > 0) await this.recompute(new Date(Number(row?.since)));
    return count;
  }

  private async recompute(since: Date): Promise<void> {
    await this.connection.run(this.rollupSql, { since: timestamp(since) });
  }

  private async stageRoots(writes: ActionWrite[]): Promise<void> {
    const appender = await this.connection.createAppender('trace_roots_stage', 'main', 'temp');
    try {
      const now = timestamp(new Date());
      for (const { traceId, root, complete } of writes) {
        // A trace written again without its root (late spans) keeps the root recorded before.
        if (root === null) continue;
        appender.appendVarchar(traceId);
        for (const value of [
          root.rootSpanName,
          root.serviceName,
          root.action,
          root.team,
          root.project,
          root.feature,
          root.customer,
          root.user_id,
          root.environment,
        ]) {
          if (value === null) appender.appendNull();
          else appender.appendVarchar(value);
        }
        appender.appendTimestamp(timestamp(root.startTime));
        appender.appendTimestamp(timestamp(root.endTime));
        if (root.originTraceId === null) appender.appendNull();
        else appender.appendVarchar(root.originTraceId);
        appender.appendBoolean(complete);
        appender.appendTimestamp(now);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private async listTraces(fill: (appender: DuckDBAppender) => void): Promise<void> {
    await this.connection.run(resetRollupTraces);
    const appender = await this.connection.createAppender('rollup_traces', 'main', 'temp');
    try {
      fill(appender);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
