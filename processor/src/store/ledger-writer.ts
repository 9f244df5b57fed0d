import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listValue, type DuckDBConnection, type DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LlmCall } from '../ledger/llm-call.js';
import type { NestedCallFilter, RememberedCalls } from '../pipeline/nested-calls.js';
import { RetryableError } from '../pipeline/trace-sink.js';
import { timestamp } from './llm-call-appender.js';
import { llmCallCsvLine, selectStagedCalls } from './llm-call-csv.js';
import { RecentCallKeys, callHashSql, type RecentCallKeysOptions } from './recent-call-keys.js';
import type { DailySpend } from './spend-daily.js';

export interface LedgerWriterOptions {
  /** Rows one commit may carry; more wait for the next commit. */
  maxBatchRows: number;
  /** Rows waiting to be committed before `write` refuses with a retryable error. */
  maxQueuedRows: number;
  logger: Logger;
  /** Drops the second span of a call reported twice; decided here, in commit order, so no race can double it. */
  nestedCalls: NestedCallFilter;
  /** The calls known to be new without asking DuckDB (default: 10 minutes, at most 1 million keys, ~40 MiB). */
  recentKeys?: RecentCallKeysOptions;
  /** The daily spend cache, whose days are marked stale before calls of those days are inserted. */
  dailySpend?: DailySpend;
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

/** Rows of one commit, staged in a file and waiting for their INSERT. */
interface StagedGroup {
  writes: PendingWrite[];
  rowCount: number;
  keptKeys: Set<string>;
  nestedKeys: Set<string>;
  remembered: RememberedCalls;
  /** Staged rows the ledger may hold already (retries, replays, hash collisions): DuckDB decides. */
  maybeStored: LlmCall[];
  /** The CSV file holding the group's rows. */
  file: string;
  /** Start times of the unique rows, for the daily spend cache. */
  starts: StartRange;
}

/**
 * Staged groups are CSV files on tmpfs when there is one (memory, not disk), else in the temp directory; the
 * directory is named for the process so a later start can sweep what a killed one left.
 */
const stagingRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const stagingPrefix = 'genai-chargeback-stage-';
const defaultRecentKeys: RecentCallKeysOptions = { windowMs: 10 * 60_000, maxKeys: 1_000_000 };

/**
 * The single writer of `llm_calls`. Writes from concurrent requests are grouped into one commit (group
 * commit), and each `write` resolves only after its rows are committed, so an acknowledged export is durable.
 *
 * Uniqueness of (trace_id, span_id) is enforced here, not by a primary-key index (measured here, the ART index
 * a primary key needs cost 2–4× on insert and 4× in file size; one writer process per file makes this safe).
 * A call the recent-keys memory proves new is inserted as is. Only the others (retries, replays, calls older
 * than the memory) are looked up in `llm_calls`, bounded to their start-time range: a retried span carries the
 * same start time, so the range always covers its first copy. Looking every row up measured O(ledger rows in
 * the group's time range) per commit, the ceiling of ingest.
 *
 * Rows are staged as a CSV file and inserted with DuckDB's `read_csv` (see llm-call-csv.ts). Writing the next
 * group's file, on the JavaScript thread, overlaps the INSERT of the previous one, in DuckDB's threads.
 * Commits happen one after the other, in order, so each lookup sees every row committed before it.
 */
export class LedgerWriter {
  private readonly pending: PendingWrite[] = [];
  /** Work that must not overlap a commit (the daily spend refresh), run between groups. */
  private readonly betweenCommits: Array<() => Promise<void>> = [];
  private queuedRows = 0;
  private draining: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly stagingDir: string,
    private readonly recentKeys: RecentCallKeys,
    private readonly options: LedgerWriterOptions,
  ) {}

  static async open(instance: DuckDBInstance, options: LedgerWriterOptions): Promise<LedgerWriter> {
    const connection = await instance.connect();
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
    const recentKeys = await loadRecentKeys(connection, options.recentKeys ?? defaultRecentKeys);
    sweepStagingLeftovers();
    return new LedgerWriter(connection, mkdtempSync(join(stagingRoot, `${stagingPrefix}${process.pid}-`)), recentKeys, options);
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

  /** Runs `task` on the writer's connection when no commit is in flight, before the next group is committed. */
  runBetweenCommits<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the ledger writer is closed'));
    return new Promise<T>((resolve, reject) => {
      this.betweenCommits.push(() => task(this.connection).then(resolve, reject));
      this.kick();
    });
  }

  /** Stops taking writes and waits for everything queued to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining !== null) await this.draining;
    this.connection.closeSync();
    rmSync(this.stagingDir, { recursive: true, force: true });
  }

  private kick(): void {
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    // Two files in turn: the next group's is written while the previous one's is read.
    let fileIndex = 0;
    try {
      while (this.pending.length > 0 || this.betweenCommits.length > 0) {
        if (this.betweenCommits.length > 0) {
          await previous;
          for (const task of this.betweenCommits.splice(0)) await task();
          continue;
        }
        const writes = this.takeGroup();
        const staged = await this.stage(join(this.stagingDir, `group-${fileIndex}.csv`), writes);
        fileIndex = 1 - fileIndex;
        await previous;
        if (staged !== null) previous = this.commit(staged);
      }
      await previous;
    } finally {
      this.draining = null;
      // A write that arrived after the last look at the queue, while the final commit finished, still runs.
      if (this.pending.length > 0 || this.betweenCommits.length > 0) this.kick();
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

  /** Filters nested repeats and writes the group's unique rows to its staging file. */
  private async stage(file: string, writes: PendingWrite[]): Promise<StagedGroup | null> {
    const rows = writes.flatMap((write) => write.rows);
    const { kept, nested } = this.options.nestedCalls.select(rows);
    const group: StagedGroup = {
      writes,
      rowCount: rows.length,
      keptKeys: new Set(),
      nestedKeys: new Set(nested.map(rowKey)),
      // Remembered before the commit so the next group, staged meanwhile, sees this one's call spans.
      remembered: this.options.nestedCalls.remember(rows),
      maybeStored: [],
      file,
      starts: new StartRange(),
    };
    const surelyNew: LlmCall[] = [];
    let csv = '';
    for (const row of kept) {
      const key = rowKey(row);
      if (group.keptKeys.has(key)) continue;
      group.keptKeys.add(key);
      if (this.recentKeys.isSurelyNew(row)) surelyNew.push(row);
      else group.maybeStored.push(row);
      group.starts.include(row);
      csv += llmCallCsvLine(row);
    }
    try {
      if (group.keptKeys.size > 0) await writeFile(file, csv);
    } catch (error) {
      this.fail(group, error);
      return null;
    }
    // Before the next group is staged, which may carry the same calls again.
    this.recentKeys.evict(Date.now());
    this.recentKeys.add(surelyNew);
    return group;
  }

  /** Inserts the staged rows that are not in the ledger yet, commits, and answers the group's writers. */
  private async commit(group: StagedGroup): Promise<void> {
    let stored: Set<string>;
    try {
      stored = await this.findStored(group.maybeStored);
      if (group.keptKeys.size > stored.size) {
        await this.options.dailySpend?.touch(this.connection, group.starts.minMs, group.starts.maxMs);
        // One statement: atomic and durable when it returns. Commits never overlap (see drain), so no other
        // writer can slip a row in between the lookup above and this insert.
        const insert = `INSERT INTO llm_calls ${selectStagedCalls(group.file)}`;
        if (stored.size === 0) await this.connection.run(insert);
        else await this.connection.run(`${insert} WHERE NOT list_contains($stored, trace_id || '/' || span_id)`, { stored: listValue([...stored]) });
      }
    } catch (error) {
      this.fail(group, error);
      return;
    }
    await rm(group.file, { force: true });
    this.recentKeys.add(group.maybeStored.filter((row) => !stored.has(rowKey(row))));
    this.queuedRows -= group.rowCount;
    const inserted = new Set([...group.keptKeys].filter((key) => !stored.has(key)));
    for (const write of group.writes) {
      write.resolve({
        inserted: write.rows.filter((row) => inserted.delete(rowKey(row))),
        nested: write.rows.filter((row) => group.nestedKeys.has(rowKey(row))).length,
      });
    }
  }

  /** Which of these calls the ledger holds already, looked up within their start-time range. */
  private async findStored(calls: LlmCall[]): Promise<Set<string>> {
    if (calls.length === 0) return new Set();
    const starts = new StartRange();
    for (const call of calls) starts.include(call);
    const found = await this.connection.runAndReadAll(
      `SELECT k.trace_id || '/' || k.span_id FROM (SELECT unnest($traces) AS trace_id, unnest($spans) AS span_id) k
       SEMI JOIN llm_calls l ON l.trace_id = k.trace_id AND l.span_id = k.span_id AND l.start_time BETWEEN $min AND $max`,
      {
        traces: listValue(calls.map((call) => call.trace_id)),
        spans: listValue(calls.map((call) => call.span_id)),
        min: timestamp(new Date(starts.minMs)),
        max: timestamp(new Date(starts.maxMs)),
      },
    );
    return new Set((found.getColumnsJS()[0] ?? []) as string[]);
  }

  private fail(group: StagedGroup, error: unknown): void {
    this.queuedRows -= group.rowCount;
    this.options.nestedCalls.forget(group.remembered);
    this.options.logger.error({ err: error, rows: group.rowCount }, 'ledger commit failed; clients will retry');
    const retryable = new RetryableError('storage is temporarily unavailable', 5);
    for (const write of group.writes) write.reject(retryable);
  }
}

/** The earliest and latest start time of some calls, in epoch milliseconds. */
class StartRange {
  minMs = Infinity;
  maxMs = -Infinity;

  include(call: LlmCall): void {
    const start = call.start_time.getTime();
    if (start < this.minMs) this.minMs = start;
    if (start > this.maxMs) this.maxMs = start;
  }
}

function rowKey(row: LlmCall): string {
  return `${row.trace_id}/${row.span_id}`;
}

/** Removes staging directories of processes that no longer run (a kill -9 leaves its last two files). */
function sweepStagingLeftovers(): void {
  for (const name of readdirSync(stagingRoot)) {
    if (!name.startsWith(stagingPrefix)) continue;
    const pid = Number(name.slice(stagingPrefix.length).split('-')[0]);
    if (Number.isInteger(pid) && !isRunning(pid)) rmSync(join(stagingRoot, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Calls that started within the window, from the ledger, so a restart does not forget what is stored: the newest
 * `maxKeys` of them, hashed by DuckDB after the LIMIT (a busy ledger has millions, too many to read as ids).
 */
async function loadRecentKeys(connection: DuckDBConnection, options: RecentCallKeysOptions): Promise<RecentCallKeys> {
  const nowMs = Date.now();
  const result = await connection.runAndReadAll(
    `SELECT ${callHashSql} AS hash, epoch_ms(start_time) AS start_ms
     FROM (SELECT trace_id, span_id, start_time FROM llm_calls WHERE start_time >= $from ORDER BY start_time DESC LIMIT $limit)`,
    { from: timestamp(new Date(nowMs - options.windowMs)), limit: options.maxKeys },
  );
  // An empty result has no column chunks at all.
  const [hashes = [], starts = []] = result.getColumnsJS() as [Array<number | null>?, Array<number | bigint>?];
  return RecentCallKeys.fromLedger(options, nowMs, { hashes, startsMs: starts.map(Number) });
}
