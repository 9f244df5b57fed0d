import { readFile, writeFile } from 'node:fs/promises';
import { DuckDBTimestampValue, type DuckDBConnection, type DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { queriesDir } from '../store/database.js';
import { timestamp } from '../store/llm-call-appender.js';
import { StagingDir, sqlPath } from '../store/staging-dir.js';
import { inTransaction } from '../store/transaction.js';
import { toActionRow, type ActionRow } from './action-row.js';
import type { CallTotals } from './call-totals.js';
import type { TraceRoot } from './trace-buffer.js';

export interface ActionWrite {
  traceId: string;
  root: TraceRoot | null;
  /** The root arrived and the trace went quiet within max_age. */
  complete: boolean;
  /** Totals of the trace's calls when the roll-up saw each one stored; null: they are read from the ledger. */
  calls: CallTotals | null;
  /**
   * An action row the trace has already starts at or after this (epoch ms), so only newer rows are searched for
   * it; -Infinity when nothing bounds it and every row must be compared; Infinity when it surely has none.
   */
  existingRowStartsFromMs: number;
}

export interface ActionWriteResult {
  written: number;
  /** Every action row this write produced starts at or after it (a bound for reading them back). */
  startedFrom: Date;
  /** Traces whose action row existed already: late spans updated it. */
  updated: Set<string>;
  /** Traces whose action was computed from their calls in the ledger. */
  readBack: number;
  /** Which `actions` rows were searched for the traces' existing ones: none (all surely new), recent ones, or all. */
  searched: ActionSearch;
}

export type ActionSearch = 'none' | 'recent' | 'all';

interface RootWrite extends ActionWrite {
  root: TraceRoot;
}

/**
 * A trace queued twice (late spans arrived while its first write waited for a retry) is written once, with the
 * latest root it had and its calls read from the ledger: with no key on the tables, two rows of one trace would
 * count its calls twice.
 */
function latestPerTrace(writes: ActionWrite[]): ActionWrite[] {
  const byTrace = new Map<string, ActionWrite>();
  for (const write of writes) {
    const earlier = byTrace.get(write.traceId);
    byTrace.set(
      write.traceId,
      earlier === undefined
        ? write
        : { ...write, root: write.root ?? earlier.root, calls: null, existingRowStartsFromMs: Math.min(write.existingRowStartsFromMs, earlier.existingRowStartsFromMs) },
    );
  }
  return [...byTrace.values()];
}

/** Text columns `trace_roots` and `actions` share: the trace, its root and its attribution. */
const sharedColumns = {
  trace_id: 'VARCHAR',
  action: 'VARCHAR',
  root_span_name: 'VARCHAR',
  service_name: 'VARCHAR',
  team: 'VARCHAR',
  project: 'VARCHAR',
  feature: 'VARCHAR',
  customer: 'VARCHAR',
  user_id: 'VARCHAR',
  environment: 'VARCHAR',
};

/** `trace_roots` columns as `recordRoots` stages them in JSON (times as epoch milliseconds). */
const rootColumns = { ...sharedColumns, start_ms: 'BIGINT', end_ms: 'BIGINT', origin_trace_id: 'VARCHAR', complete: 'BOOLEAN' };

/** `actions` columns as `ActionRow` stages them in JSON (costs as decimal text, times as epoch milliseconds). */
const actionColumns: Record<keyof ActionRow, string> = {
  ...sharedColumns,
  start_ms: 'BIGINT',
  end_ms: 'BIGINT',
  calls: 'INTEGER',
  failed_calls: 'INTEGER',
  unpriced_calls: 'INTEGER',
  input_tokens: 'BIGINT',
  output_tokens: 'BIGINT',
  cache_read_tokens: 'BIGINT',
  cache_write_tokens: 'BIGINT',
  reasoning_tokens: 'BIGINT',
  cost_usd: 'VARCHAR',
  failed_cost_usd: 'VARCHAR',
  models: 'VARCHAR[]',
  complete: 'BOOLEAN',
};

/** Rows staged one JSON object a line, read with these column types (nothing auto-detected). */
function readStaged(file: string, columns: Record<string, string>): string {
  const types = Object.entries(columns).map(([name, type]) => `'${name}': '${type}'`).join(', ');
  return `read_json(${sqlPath(file)}, format = 'newline_delimited', columns = {${types}})`;
}

function insertRoots(file: string): string {
  return `INSERT INTO trace_roots BY NAME
    SELECT * EXCLUDE (start_ms, end_ms), epoch_ms(start_ms) AS start_time, epoch_ms(end_ms) AS end_time, $updated_at AS updated_at
    FROM ${readStaged(file, rootColumns)}`;
}

function insertActionRows(file: string): string {
  return `INSERT INTO actions BY NAME
    SELECT * EXCLUDE (start_ms, end_ms, cost_usd, failed_cost_usd), epoch_ms(start_ms) AS start_time, epoch_ms(end_ms) AS end_time,
           cost_usd::DECIMAL(38, 9) AS cost_usd, failed_cost_usd::DECIMAL(38, 9) AS failed_cost_usd, now() AT TIME ZONE 'UTC' AS updated_at
    FROM ${readStaged(file, actionColumns)}`;
}

/** One JSON object a line: JSON.stringify escapes line breaks inside values. */
function jsonLines(rows: object[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n');
}

/**
 * Trace ids bound as one comma-separated string, split by DuckDB: binding a list converts every element to a
 * DuckDB value on the JavaScript thread, which measured ~75 ms a second at 25,000 spans/s and delayed every
 * request in flight. Ids are hex (the decoder checks them), so a comma cannot occur in one.
 */
function traceList(traceIds: string[]): string {
  return traceIds.join(',');
}

const tracesIn = "(SELECT unnest(string_split($traces, ',')))";

/** A condition on `start_time` appended to a statement's WHERE, with its parameter. */
interface RowRange {
  where: string;
  params: Record<string, DuckDBValue>;
}

const allRows: RowRange = { where: '', params: {} };

function searchOf(existingFromMs: number): ActionSearch {
  if (existingFromMs === Infinity) return 'none';
  return existingFromMs === -Infinity ? 'all' : 'recent';
}

/** Rows starting at or after `fromMs`; every row when it is not finite. */
function startingFrom(fromMs: number): RowRange {
  return Number.isFinite(fromMs) ? { where: ' AND start_time >= $from', params: { from: timestamp(new Date(fromMs)) } } : allRows;
}

/**
 * Writes `trace_roots` and `actions`. A trace whose calls the roll-up saw stored, one by one, gets its action row
 * from their totals (rollup/action-row.ts); every other trace (late spans, retried calls, crash recovery, rebuild)
 * is recomputed from the ledger with queries/rollup-actions.sql, which computes the same row. Reading the calls
 * back cost the live roll-up a hash join over the newest ledger rows on every write: about a quarter of ingest
 * throughput in `npm run bench`, and a part of the soak's RSS rise (processor/src/ops/README.md).
 *
 * A live write is three or four statements on its own connection (more when late spans update traces written
 * before): the trace ids bound as one string parameter, the roots and rows staged as JSON files for DuckDB's
 * reader, rather than temporary tables re-created on every write.
 * trace_id is unique in both tables because this class is their one writer: it deletes a trace's rows before it
 * writes them again (queries/schema.sql says why that is not left to a primary key).
 */
export class ActionStore {
  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly rollupSql: string,
    private readonly chunkTraces: number,
  ) {}

  /** Roots and action rows of a live write, staged for DuckDB's JSON reader. */
  private readonly staging = new StagingDir();

  /** `chunkTraces`: recovery and rebuild recompute this many traces per statement, each scanning only their calls. */
  static async open(instance: DuckDBInstance, options: { chunkTraces?: number } = {}): Promise<ActionStore> {
    const connection = await instance.connect();
    const rollupSql = await readFile(`${queriesDir}rollup-actions.sql`, 'utf8');
    return new ActionStore(connection, rollupSql, options.chunkTraces ?? 50_000);
  }

  /**
   * Records roots and (re)computes the actions of these traces in one transaction. `earliestStartMs` is the
   * earliest span start the roll-up saw for them; for traces written before (late spans), the start of their
   * existing action row reaches further back. Together they bound the ledger scan to the rows that matter.
   *
   * Which traces have an action row already is looked up among the rows that start at or after the writes'
   * earliest `existingRowStartsFromMs` (zone maps skip older row groups), and not at all when every trace surely
   * has none. Without a bound every `trace_id` is compared, which random ids cannot narrow: measured 41 ms per
   * write over 1 million actions and 430 ms over 10 million, growing with the ledger for as long as the service
   * runs.
   */
  async write(queued: ActionWrite[], earliestStartMs: number): Promise<ActionWriteResult> {
    if (queued.length === 0) return { written: 0, updated: new Set(), readBack: 0, startedFrom: new Date(earliestStartMs), searched: 'none' };
    const writes = latestPerTrace(queued);
    const traces = traceList(writes.map((write) => write.traceId));
    const existingFromMs = writes.reduce((min, write) => Math.min(min, write.existingRowStartsFromMs), Infinity);
    const existingRange = startingFrom(existingFromMs);
    const searched = searchOf(existingFromMs);
    return inTransaction(this.connection, async () => {
      const existing =
        searched === 'none'
          ? []
          : (
              await this.connection.runAndReadAll(`SELECT trace_id, epoch_ms(start_time) AS start_ms FROM actions WHERE trace_id IN ${tracesIn}${existingRange.where}`, {
                traces,
                ...existingRange.params,
              })
            ).getRowObjectsJS();
      const updated = new Set(existing.map((row) => String(row.trace_id)));
      const roots = writes.filter((write): write is RootWrite => write.root !== null);
      if (updated.size > 0) {
        // A trace has a root row only if it has an action row (both are written here, together), so the traces
        // found above are the only ones whose rows are replaced. Their root rows start no earlier than their action
        // rows, so both are in the range searched.
        await this.deleteTraces('actions', [...updated], existingRange);
        await this.deleteTraces('trace_roots', roots.map((write) => write.traceId).filter((id) => updated.has(id)), existingRange);
      }
      await this.recordRoots(roots);
      // A trace written before may have calls the roll-up did not see in this write: those are read back.
      const fromCalls = writes.filter((write) => write.calls !== null && !updated.has(write.traceId));
      const fromLedger = writes.filter((write) => write.calls === null || updated.has(write.traceId));
      await this.insertActionRows(fromCalls);
      // Each root starts at or after `since`: a root written now is among the spans `earliestStartMs` covers, and
      // one recorded before came with an action row whose start (found above) is no later than the root's.
      const startedFrom = new Date(existing.reduce((min, row) => Math.min(min, Number(row.start_ms)), earliestStartMs));
      if (fromLedger.length > 0) {
        const since = timestamp(startedFrom);
        await this.recompute(traceList(fromLedger.map((write) => write.traceId)), since, DuckDBTimestampValue.PosInf, since);
      }
      return { written: writes.length, updated, readBack: fromLedger.length, startedFrom, searched };
    });
  }

  /** Crash recovery: calls whose trace never got an action get one (incomplete), from the ledger alone. */
  async recoverMissing(): Promise<number> {
    return inTransaction(this.connection, async () =>
      this.recomputeChunks(await this.planChunks('SELECT c.trace_id FROM llm_calls c ANTI JOIN actions a ON a.trace_id = c.trace_id')),
    );
  }

  /**
   * `genai-chargeback rebuild-actions`: drops and recomputes every action with a call since `since`, reporting
   * the traces done after each chunk.
   */
  async rebuild(since: Date | null, onProgress?: (done: number, total: number) => void): Promise<number> {
    return inTransaction(this.connection, async () => {
      const traces =
        since === null
          ? await this.planChunks('SELECT trace_id FROM llm_calls')
          : await this.planChunks('SELECT trace_id FROM llm_calls WHERE start_time >= $since', { since: timestamp(since) });
      await this.connection.run('DELETE FROM actions WHERE trace_id IN (SELECT trace_id FROM rollup_chunks)');
      return this.recomputeChunks(traces, onProgress);
    });
  }

  close(): void {
    this.connection.closeSync();
    this.staging.remove();
  }

  /**
   * Lists the traces `selectTraces` returns in temp table `rollup_chunks`, numbered in chunks ordered by their
   * first call, with the start-time range of all their calls. Returns how many traces it listed.
   */
  private async planChunks(selectTraces: string, params: Record<string, DuckDBValue> = {}): Promise<number> {
    await this.connection.run(
      `CREATE OR REPLACE TEMP TABLE rollup_chunks AS
       SELECT trace_id, min(start_time) AS first_start, max(start_time) AS last_start,
              (row_number() OVER (ORDER BY min(start_time), trace_id) - 1) // ${this.chunkTraces} AS chunk
       FROM llm_calls WHERE trace_id IN (${selectTraces}) GROUP BY trace_id`,
      params,
    );
    const count = await this.connection.runAndReadAll('SELECT count(*)::INTEGER FROM rollup_chunks');
    return Number(count.getRows()[0]?.[0] ?? 0);
  }

  private async recomputeChunks(traces: number, onProgress?: (done: number, total: number) => void): Promise<number> {
    for (let chunk = 0; chunk * this.chunkTraces < traces; chunk++) {
      // The bounds go back as DuckDB values: calls start to the microsecond, and a bound cut to milliseconds
      // would leave a chunk's last call out.
      const listed = await this.connection.runAndReadAll(
        "SELECT string_agg(trace_id, ','), min(first_start), max(last_start) FROM rollup_chunks WHERE chunk = $chunk",
        { chunk },
      );
      const [ids, first, last] = listed.getRows()[0] ?? [];
      if (!(typeof ids === 'string' && first instanceof DuckDBTimestampValue && last instanceof DuckDBTimestampValue)) {
        throw new Error(`roll-up chunk ${chunk} of ${traces} traces is empty`);
      }
      // A root may start before its trace's first call, so recovery and rebuild read every root.
      await this.recompute(ids, first, last, DuckDBTimestampValue.NegInf);
      onProgress?.(Math.min(traces, (chunk + 1) * this.chunkTraces), traces);
    }
    await this.connection.run('DROP TABLE rollup_chunks');
    return traces;
  }

  /**
   * Calls of `traces` (comma-separated ids) that started in [since, until] are all their calls, and their roots all
   * started at or after `rootsSince` (see queries/rollup-actions.sql).
   */
  private async recompute(traces: string, since: DuckDBTimestampValue, until: DuckDBTimestampValue, rootsSince: DuckDBTimestampValue): Promise<void> {
    await this.connection.run(this.rollupSql, { traces, since, until, roots_since: rootsSince });
  }

  /** A trace written again without its root (late spans) keeps the root recorded before: only new roots are written. */
  private async recordRoots(writes: RootWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const file = this.staging.file('roots.json');
    const roots = jsonLines(
      writes.map(({ traceId, root, complete }) => ({
        trace_id: traceId,
        root_span_name: root.rootSpanName,
        service_name: root.serviceName,
        action: root.action,
        team: root.team,
        project: root.project,
        feature: root.feature,
        customer: root.customer,
        user_id: root.user_id,
        environment: root.environment,
        start_ms: root.startMs,
        end_ms: root.endMs,
        origin_trace_id: root.originTraceId,
        complete,
      })),
    );
    await writeFile(file, roots);
    await this.connection.run(insertRoots(file), { updated_at: timestamp(new Date()) });
  }

  private async insertActionRows(writes: ActionWrite[]): Promise<void> {
    const rows = writes.flatMap(({ traceId, root, complete, calls }) => (calls === null ? [] : [toActionRow(traceId, root, complete, calls)]));
    if (rows.length === 0) return;
    const file = this.staging.file('actions.json');
    await writeFile(file, jsonLines(rows));
    await this.connection.run(insertActionRows(file));
  }

  private async deleteTraces(table: 'actions' | 'trace_roots', traceIds: string[], range: RowRange): Promise<void> {
    if (traceIds.length === 0) return;
    await this.connection.run(`DELETE FROM ${table} WHERE trace_id IN ${tracesIn}${range.where}`, { traces: traceList(traceIds), ...range.params });
  }
}
