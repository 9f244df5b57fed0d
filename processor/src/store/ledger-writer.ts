import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LlmCall } from '../ledger/llm-call.js';
import type { NestedCallFilter } from '../pipeline/nested-calls.js';
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

/**
 * The single writer of `llm_calls`. Writes from concurrent requests are grouped into one commit (group
 * commit), and each `write` resolves only after its rows are committed, so an acknowledged export is durable.
 *
 * Uniqueness of (trace_id, span_id) is enforced here, not by a primary-key index: the rows go to a staging
 * table and are inserted with an anti-join bounded to the batch's start-time range (a retried span carries
 * the same start time, so the range always covers its first copy). Measured here, the ART index that a
 * primary key needs cost 2–4× on insert and 4× in file size; one writer process per file makes the
 * anti-join safe.
 */
export class LedgerWriter {
  private readonly pending: PendingWrite[] = [];
  private queuedRows = 0;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly options: LedgerWriterOptions,
  ) {}

  static async open(instance: DuckDBInstance, options: LedgerWriterOptions): Promise<LedgerWriter> {
    const connection = await instance.connect();
    await connection.run('CREATE OR REPLACE TEMP TABLE llm_calls_stage AS SELECT * FROM llm_calls LIMIT 0');
    // After a restart, the two halves of a nested pair may straddle it: recall the latest calls first.
    const recent = await connection.runAndReadAll(
      'SELECT trace_id, span_id, parent_span_id FROM llm_calls ORDER BY received_at DESC LIMIT 100000',
    );
    options.nestedCalls.remember(
      recent.getRowObjectsJS().map((r) => ({
        trace_id: String(r.trace_id),
        span_id: String(r.span_id),
        parent_span_id: r.parent_span_id === null ? null : String(r.parent_span_id),
      })),
    );
    return new LedgerWriter(connection, options);
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
    this.flushing ??= this.drain();
    return done;
  }

  /** Stops taking writes and waits for everything queued to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    this.connection.closeSync();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.takeGroup();
        const rows = group.flatMap((write) => write.rows);
        try {
          const { kept, nested } = this.options.nestedCalls.select(rows);
          const insertedKeys = await this.commit(kept);
          this.options.nestedCalls.remember(rows);
          const nestedKeys = new Set(nested.map(rowKey));
          for (const write of group) {
            write.resolve({
              inserted: write.rows.filter((row) => insertedKeys.delete(rowKey(row))),
              nested: write.rows.filter((row) => nestedKeys.has(rowKey(row))).length,
            });
          }
        } catch (error) {
          this.options.logger.error({ err: error, rows: rows.length }, 'ledger commit failed; clients will retry');
          const retryable = new RetryableError('storage is temporarily unavailable', 5);
          for (const write of group) write.reject(retryable);
        } finally {
          this.queuedRows -= rows.length;
        }
      }
    } finally {
      this.flushing = null;
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

  /** Commits the rows that are not in the ledger yet and returns their keys. */
  private async commit(rows: LlmCall[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const unique = new Map<string, LlmCall>();
    for (const row of rows) if (!unique.has(rowKey(row))) unique.set(rowKey(row), row);
    let minStart = Infinity;
    let maxStart = -Infinity;
    try {
      const appender = await this.connection.createAppender('llm_calls_stage', 'main', 'temp');
      try {
        for (const row of unique.values()) {
          appendLlmCall(appender, row);
          minStart = Math.min(minStart, row.start_time.getTime());
          maxStart = Math.max(maxStart, row.start_time.getTime());
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await this.connection.run('BEGIN TRANSACTION');
      const inserted = await this.connection.runAndReadAll(
        `INSERT INTO llm_calls
         SELECT s.* FROM llm_calls_stage s
         WHERE NOT EXISTS (
           SELECT 1 FROM llm_calls l
           WHERE l.start_time BETWEEN $min AND $max AND l.trace_id = s.trace_id AND l.span_id = s.span_id)
         RETURNING trace_id, span_id`,
        { min: timestamp(new Date(minStart)), max: timestamp(new Date(maxStart)) },
      );
      await this.connection.run('DELETE FROM llm_calls_stage');
      await this.connection.run('COMMIT');
      return new Set(inserted.getRowObjectsJS().map((r) => `${String(r.trace_id)}/${String(r.span_id)}`));
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      await this.connection.run('DELETE FROM llm_calls_stage').catch(() => undefined);
      throw error;
    }
  }
}

function rowKey(row: LlmCall): string {
  return `${row.trace_id}/${row.span_id}`;
}
