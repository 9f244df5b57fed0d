import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LlmCall } from '../ledger/llm-call.js';
import type { NestedCallFilter, RememberedCalls } from '../pipeline/nested-calls.js';
import { RetryableError } from '../pipeline/trace-sink.js';
import { appendLlmCall, timestamp } from './llm-call-appender.js';

export interface LedgerWriterOptions {
  /** Rows one commit may carry; more wait for the next commit. */
  maxBatchRows: number;
  /** Rows waiting to be committed before `write` refuses with a retryable error. */
  maxQueuedRows: number;
  logger: Logger;
  /** Drops the second span of a call reported twice; decided here, in commit order, so no race can double it. */
  nestedCalls: NestedCallFilter;
}

export interface WriteResult {
  /** Rows that were new; rows already in the ledger (retries, replays) are left out. */
  inserted: LlmCall[];
  /** Rows dropped as a nested second report of a call already counted. */
  nested: number;
}

interface PendingWrite {
  rows: LlmCall[];
  resolve: (result: WriteResult) => void;
  reject: (error: Error) => void;
}

/** Rows of one commit, staged in one lane and waiting for their INSERT. */
interface StagedGroup {
  writes: PendingWrite[];
  rowCount: number;
  keptKeys: Set<string>;
  nestedKeys: Set<string>;
  remembered: RememberedCalls;
  minStartMs: number;
  maxStartMs: number;
}

const stageTable = 'llm_calls_stage';
/**
 * Empties a staging table by re-creating it: DuckDB keeps the memory of rows deleted from a temporary table,
 * so `DELETE` there grows the process by every row ever staged (measured: ~150 MiB/min in the soak).
 */
const resetStage = `CREATE OR REPLACE TEMP TABLE ${stageTable} AS SELECT * FROM llm_calls LIMIT 0`;

/**
 * The single writer of `llm_calls`. Writes from concurrent requests are grouped into one commit (group
 * commit), and each `write` resolves only after its rows are committed, so an acknowledged export is durable.
 *
 * Uniqueness of (trace_id, span_id) is enforced here, not by a primary-key index: rows go to a staging table
 * and are inserted with an anti-join bounded to the group's start-time range (a retried span carries the same
 * start time, so the range always covers its first copy). Measured here, the ART index a primary key needs
 * cost 2–4× on insert and 4× in file size; one writer process per file makes the anti-join safe.
 *
 * Two lanes (a connection with its own staging table each) overlap the Appender work of the next group, on
 * the JavaScript thread, with the INSERT and COMMIT of the previous one, in DuckDB's threads. Commits still
 * happen one after the other, in order, so each anti-join sees every row committed before it.
 */
export class LedgerWriter {
  private readonly pending: PendingWrite[] = [];
  private queuedRows = 0;
  private draining: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly lanes: [DuckDBConnection, DuckDBConnection],
    private readonly options: LedgerWriterOptions,
  ) {}

  static async open(instance: DuckDBInstance, options: LedgerWriterOptions): Promise<LedgerWriter> {
    const lanes: [DuckDBConnection, DuckDBConnection] = [await instance.connect(), await instance.connect()];
    for (const lane of lanes) await lane.run(resetStage);
    // After a restart, the two halves of a nested pair may straddle it: recall the latest calls first.
    const recent = await lanes[0].runAndReadAll(
      'SELECT trace_id, span_id, parent_span_id FROM llm_calls ORDER BY received_at DESC LIMIT 100000',
    );
    options.nestedCalls.remember(
      recent.getRowObjectsJS().map((r) => ({
        trace_id: String(r.trace_id),
        span_id: String(r.span_id),
        parent_span_id: r.parent_span_id === null ? null : String(r.parent_span_id),
      })),
    );
    return new LedgerWriter(lanes, options);
  }

  get queueSize(): number {
    return this.queuedRows;
  }

  write(rows: LlmCall[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new RetryableError('the processor is shutting down', 5));
    if (rows.length === 0) return Promise.resolve({ inserted: [], nested: 0 });
    if (this.queuedRows > 0 && this.queuedRows + rows.length > this.options.maxQueuedRows) {
      return Promise.reject(
        new RetryableError(`write queue full (${this.queuedRows} rows waiting to be committed)`, 1, 429),
      );
    }
    this.queuedRows += rows.length;
    const done = new Promise<WriteResult>((resolve, reject) => this.pending.push({ rows, resolve, reject }));
    this.kick();
    return done;
  }

  /** Stops taking writes and waits for everything queued to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining !== null) await this.draining;
    for (const lane of this.lanes) lane.closeSync();
  }

  private kick(): void {
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    let laneIndex = 0;
    try {
      while (this.pending.length > 0) {
        const writes = this.takeGroup();
        const lane = this.lanes[laneIndex] as DuckDBConnection;
        laneIndex = 1 - laneIndex;
        const staged = await this.stage(lane, writes);
        await previous;
        if (staged !== null) previous = this.commit(lane, staged);
      }
      await previous;
    } finally {
      this.draining = null;
      // A write that arrived after the last look at the queue, while the final commit finished, still runs.
      if (this.pending.length > 0) this.kick();
    }
  }

  private takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [];
    let rows = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as PendingWrite;
      if (group.length > 0 && rows + next.rows.length > this.options.maxBatchRows) break;
      group.push(next);
      rows += next.rows.length;
      this.pending.shift();
    }
    return group;
  }

  /** Filters nested repeats and appends the group's unique rows to the lane's staging table. */
  private async stage(lane: DuckDBConnection, writes: PendingWrite[]): Promise<StagedGroup | null> {
    const rows = writes.flatMap((write) => write.rows);
    const { kept, nested } = this.options.nestedCalls.select(rows);
    const group: StagedGroup = {
      writes,
      rowCount: rows.length,
      keptKeys: new Set(),
      nestedKeys: new Set(nested.map(rowKey)),
      // Remembered before the commit so the next group, staged meanwhile, sees this one's call spans.
      remembered: this.options.nestedCalls.remember(rows),
      minStartMs: Infinity,
      maxStartMs: -Infinity,
    };
    try {
      const appender = await lane.createAppender(stageTable, 'main', 'temp');
      try {
        for (const row of kept) {
          const key = rowKey(row);
          if (group.keptKeys.has(key)) continue;
          group.keptKeys.add(key);
          appendLlmCall(appender, row);
          const start = row.start_time.getTime();
          if (start < group.minStartMs) group.minStartMs = start;
          if (start > group.maxStartMs) group.maxStartMs = start;
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return group;
    } catch (error) {
      await lane.run(resetStage).catch(() => undefined);
      this.fail(group, error);
      return null;
    }
  }

  /** Inserts the staged rows that are not in the ledger yet, commits, and answers the group's writers. */
  private async commit(lane: DuckDBConnection, group: StagedGroup): Promise<void> {
    let inserted = new Set<string>();
    try {
      if (group.keptKeys.size > 0) {
        // One statement: atomic, durable when it returns, and one scan of the time range. Commits never
        // overlap (see drain), so no other writer can slip a row in between the anti-join and the insert.
        const result = await lane.runAndReadAll(
          `INSERT INTO llm_calls SELECT s.* FROM ${stageTable} s
           ANTI JOIN llm_calls l ON l.trace_id = s.trace_id AND l.span_id = s.span_id AND l.start_time BETWEEN $min AND $max
           RETURNING trace_id || '/' || span_id AS row_key`,
          { min: timestamp(new Date(group.minStartMs)), max: timestamp(new Date(group.maxStartMs)) },
        );
        inserted = new Set(result.getColumnsJS()[0] as string[]);
        await lane.run(resetStage);
      }
    } catch (error) {
      await lane.run(resetStage).catch(() => undefined);
      this.fail(group, error);
      return;
    }
    this.queuedRows -= group.rowCount;
    for (const write of group.writes) {
      write.resolve({
        inserted: write.rows.filter((row) => inserted.delete(rowKey(row))),
        nested: write.rows.filter((row) => group.nestedKeys.has(rowKey(row))).length,
      });
    }
  }

  private fail(group: StagedGroup, error: unknown): void {
    this.queuedRows -= group.rowCount;
    this.options.nestedCalls.forget(group.remembered);
    this.options.logger.error({ err: error, rows: group.rowCount }, 'ledger commit failed; clients will retry');
    const retryable = new RetryableError('storage is temporarily unavailable', 5);
    for (const write of group.writes) write.reject(retryable);
  }
}

function rowKey(row: LlmCall): string {
  return `${row.trace_id}/${row.span_id}`;
}
