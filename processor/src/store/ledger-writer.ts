import { rm, writeFile } from 'node:fs/promises';
import { listValue, type DuckDBConnection, type DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LlmCall } from '../ledger/llm-call.js';
import { withoutQuotedText } from '../logging.js';
import type { NestedCallFilter, RememberedCalls } from '../pipeline/nested-calls.js';
import { RetryableError } from '../pipeline/trace-sink.js';
import { isDataError } from './duckdb-errors.js';
import { timestamp } from './llm-call-appender.js';
import type { LedgerJournal } from './ledger-journal.js';
import { LlmCallCsv, llmCallsCsv, selectStagedCalls } from './llm-call-csv.js';
import { GroupCallIds, callKey } from './group-call-ids.js';
import { RecentCallKeys, callHash, callHashSql, type RecentCallKeysOptions } from './recent-call-keys.js';
import { dayOf, type DailySpend } from './spend-daily.js';
import { StagingDir, sweepStagingLeftovers } from './staging-dir.js';
import { splitByStartTime } from './start-time-ranges.js';
import { inTransaction } from './transaction.js';

export interface LedgerWriterOptions {
  /** Rows one commit may carry; more wait for the next commit. */
  maxBatchRows: number;
  /** Rows waiting to be committed before `write` refuses with a retryable error. */
  maxQueuedRows: number;
  logger: Logger;
  /** Drops the second span of a call reported twice; decided here, in commit order, so no race can double it. */
  nestedCalls: NestedCallFilter;
  /**
   * The calls known to be new without asking DuckDB (default: 10 minutes, at most 1 million keys, ~40 MiB; calls
   * starting an hour or more ahead of the clock: at most 50,000 more).
   */
  recentKeys?: RecentCallKeysOptions;
  /** The daily spend cache, whose days are marked stale before calls of those days are inserted. */
  dailySpend?: DailySpend;
  /**
   * `storage.ack: journal`: a write is durable, and its export acknowledged, once its group is fsynced in this
   * journal; the DuckDB commit follows. Without it a write is durable when its commit is.
   */
  journal?: LedgerJournal;
  /** Journal mode: how long staged rows may wait for more to share their commit (default 200 ms, see `journalCommitRows`). */
  journalCommitDelayMs?: number;
}

export interface WriteResult {
  /** Rows that were new; rows already in the ledger (retries, replays) are left out. */
  inserted: LlmCall[];
  /** Rows dropped as a nested second report of a call already counted. */
  nested: number;
  /** Rows the ledger held before this commit (retries, replays). */
  repeated: LlmCall[];
  /** Rows DuckDB refused over their own data, with its reason: not in the ledger (journal mode: quarantined). */
  refused: RefusedRow[];
}

export interface RefusedRow {
  row: LlmCall;
  reason: string;
}

/** A write's two moments: its rows survive a crash (`durable`), and they are in `llm_calls` (`committed`). */
export interface DurableWrite {
  /** Rejects with a RetryableError when the write is refused or cannot be made durable. */
  durable: Promise<void>;
  committed: Promise<WriteResult>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

interface PendingWrite {
  rows: LlmCall[];
  durable: Deferred<void>;
  committed: Deferred<WriteResult>;
}

/** Rows of one commit, staged in a file and waiting for their INSERT. */
interface StagedGroup {
  writes: PendingWrite[];
  rowCount: number;
  /** What staging made of each row of `writes`, in order (a `RowFate`). */
  fates: Uint8Array;
  /** The rows kept (`RowFate.Kept`), in staging order. */
  keptRows: LlmCall[];
  remembered: RememberedCalls;
  /** Staged rows the ledger may hold already (retries, replays, hash collisions): DuckDB decides. */
  maybeStored: LlmCall[];
  /** The CSV file holding the group's rows; null when none was left to insert. */
  file: string | null;
  /** UTC days (dayOf) of the group's calls, for the daily spend cache. */
  days: Set<number>;
  /** When it was staged (epoch ms): journal mode commits it within its commit delay of that. */
  stagedAtMs: number;
}

/** A staged row: kept for the INSERT, a nested repeat of another span's call, or a repeat of a row kept before it in its group. */
const RowFate = { Kept: 0, Nested: 1, RepeatInGroup: 2 } as const;

const defaultRecentKeys: RecentCallKeysOptions = { windowMs: 10 * 60_000, maxKeys: 1_000_000 };

/**
 * Journal mode: a commit waits until this many rows are staged, or its oldest group has waited the commit delay.
 * Acknowledgements do not wait for commits there, and an INSERT's cost is mostly per statement and per 2,048-row
 * vector: measured here, 70 µs of CPU a row in commits of 50 rows, 24 in commits of 400 and 9 in commits of 2,000
 * (3.5 ms a statement before any row). Committing whatever was staged as soon as the previous commit ended gave
 * commits of a few hundred rows when 1 span in 10 is a call.
 */
const journalCommitRows = 2_048;
const defaultJournalCommitDelayMs = 200;

/** A commit's duplicate lookup reads at most this many start-time ranges, split at gaps over an hour. */
const maxLookupRanges = 8;
const lookupRangeGapMs = 60 * 60_000;

/**
 * The single writer of `llm_calls`. Writes from concurrent requests are grouped into one commit (group
 * commit), and each write is durable before it is acknowledged: committed, or, with a journal, fsynced in it.
 * With a journal, staging runs ahead of DuckDB (a checkpoint that stalls commits for hundreds of milliseconds
 * no longer holds acknowledgements back) and each commit takes every group staged meanwhile, one INSERT over
 * their files.
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
  /** Journal mode: groups fsynced in the journal and waiting for their commit. */
  private readonly staged: StagedGroup[] = [];
  private queuedRows = 0;
  private insertsCommitted = 0;
  private draining: Promise<void> | null = null;
  private committing: Promise<void> | null = null;
  /** Journal mode: ends the wait for more staged rows early (rows staged, a task queued, the writer closing). */
  private wakeCommits: (() => void) | null = null;
  private closed = false;

  /** Commit mode's staging files: journal mode stages in the journal. */
  private readonly staging = new StagingDir();
  /** The ids of the group being staged (staging is one group at a time). */
  private readonly stagingIds = new GroupCallIds();

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly recentKeys: RecentCallKeys,
    private readonly options: LedgerWriterOptions,
  ) {}

  static async open(instance: DuckDBInstance, options: LedgerWriterOptions): Promise<LedgerWriter> {
    const connection = await instance.connect();
    if (options.journal !== undefined) await replayJournal(connection, options.journal, options);
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
    return new LedgerWriter(connection, recentKeys, options);
  }

  get queueSize(): number {
    return this.queuedRows;
  }

  /** INSERTs into `llm_calls` committed (each one transaction): calls stored per commit shows how commits batch. */
  get commits(): number {
    return this.insertsCommitted;
  }

  /** Bytes of the recent call keys' hash tables (what lets new calls skip the ledger lookup). */
  get recentKeyBytes(): number {
    return this.recentKeys.tableBytes;
  }

  /** Why durable writes fail now (the journal's directory), or null: /readyz reports it. */
  storageProblem(): Promise<string | null> {
    return this.options.journal?.problem() ?? Promise.resolve(null);
  }

  /** Whether an export is acknowledged before its commit (journal mode), so later stages run after the answer. */
  get acknowledgesBeforeCommit(): boolean {
    return this.options.journal !== undefined;
  }

  /** Resolves once the rows are committed, with which of them were new. */
  write(rows: LlmCall[]): Promise<WriteResult> {
    return this.writeDurably(rows).committed;
  }

  writeDurably(rows: LlmCall[]): DurableWrite {
    if (this.closed) return refused(new RetryableError('the processor is shutting down', 5));
    if (rows.length === 0) return { durable: Promise.resolve(), committed: Promise.resolve({ inserted: [], nested: 0, repeated: [], refused: [] }) };
    if (this.queuedRows > 0 && this.queuedRows + rows.length > this.options.maxQueuedRows) {
      return refused(new RetryableError(`write queue full (${this.queuedRows} rows waiting to be committed)`, 1, 429));
    }
    this.queuedRows += rows.length;
    const write: PendingWrite = { rows, durable: deferred(), committed: deferred() };
    this.pending.push(write);
    this.kick();
    return { durable: write.durable.promise, committed: write.committed.promise };
  }

  /** Runs `task` on the writer's connection when no commit is in flight, before the next group is committed. */
  runBetweenCommits<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the ledger writer is closed'));
    return new Promise<T>((resolve, reject) => {
      this.betweenCommits.push(() => task(this.connection).then(resolve, reject));
      if (this.options.journal === undefined) this.kick();
      else this.kickCommits();
    });
  }

  /**
   * Stops taking writes and waits for everything queued to be committed. In journal mode, rows whose commit
   * still fails then stay in the journal for the next start.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeCommits?.();
    while (this.draining !== null || this.committing !== null) await (this.draining ?? this.committing);
    this.connection.closeSync();
    this.staging.remove();
  }

  private kick(): void {
    this.draining ??= this.options.journal === undefined ? this.drain() : this.journalDrain(this.options.journal);
  }

  private kickCommits(): void {
    this.committing ??= this.commitStaged();
    this.wakeCommits?.();
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
        const file = this.staging.file(`group-${fileIndex}.csv`);
        const staged = await this.stage(this.takeGroup(), async (csv) => {
          await writeFile(file, csv);
          return file;
        });
        fileIndex = 1 - fileIndex;
        await previous;
        if (staged !== null) previous = this.commit([staged]).catch((error: unknown) => this.fail(staged, error, 'ledger commit failed; clients will retry'));
      }
      await previous;
    } finally {
      this.draining = null;
      // A write that arrived after the last look at the queue, while the final commit finished, still runs.
      if (this.pending.length > 0 || this.betweenCommits.length > 0) this.kick();
    }
  }

  /** Journal mode: stages and acknowledges groups as fast as the journal takes them; commits follow. */
  private async journalDrain(journal: LedgerJournal): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const staged = await this.stage(this.takeGroup(), (csv) => journal.append(csv));
        if (staged === null) continue;
        for (const write of staged.writes) write.durable.resolve();
        this.staged.push(staged);
        this.kickCommits();
      }
    } finally {
      this.draining = null;
      if (this.pending.length > 0) this.kick();
    }
  }

  /**
   * Journal mode: commits the staged groups in order, all those waiting in one INSERT. A failed commit is
   * retried (the rows were acknowledged, so only a stop gives them up, to the journal's replay).
   */
  private async commitStaged(): Promise<void> {
    try {
      while (this.staged.length > 0 || this.betweenCommits.length > 0) {
        for (const task of this.betweenCommits.splice(0)) await task();
        if (this.staged.length === 0) continue;
        await this.gatherStaged();
        if (this.betweenCommits.length > 0) continue;
        const batch = this.takeStagedBatch();
        for (let attempt = 0; ; attempt++) {
          try {
            await this.commit(batch);
            break;
          } catch (error) {
            if (this.closed) {
              for (const group of batch) this.fail(group, error, 'ledger commit failed while stopping; the rows stay in the journal for the next start');
              break;
            }
            const rows = batch.reduce((sum, group) => sum + group.rowCount, 0);
            const retryInMs = Math.min(5_000, 250 * 2 ** attempt);
            this.options.logger.error({ err: error, rows, retryInMs }, 'ledger commit failed; the rows are in the journal, retrying');
            await new Promise((resolve) => setTimeout(resolve, retryInMs));
          }
        }
      }
    } finally {
      this.committing = null;
      if (this.staged.length > 0 || this.betweenCommits.length > 0) this.kickCommits();
    }
  }

  /**
   * Waits until `journalCommitRows` are staged, the oldest staged group has waited the commit delay, a task
   * is queued between commits, or the writer closes.
   */
  private async gatherStaged(): Promise<void> {
    const targetRows = Math.min(journalCommitRows, this.options.maxBatchRows);
    const dueMs = (this.staged[0]?.stagedAtMs ?? 0) + (this.options.journalCommitDelayMs ?? defaultJournalCommitDelayMs);
    while (!this.closed && this.betweenCommits.length === 0 && stagedRows(this.staged) < targetRows && Date.now() < dueMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, dueMs - Date.now());
        this.wakeCommits = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeCommits = null;
    }
  }

  /**
   * The staged groups the next commit takes: in order, up to maxBatchRows, and stopping before a group that may
   * repeat a call of an earlier one (a retry staged before its first copy was committed), because one INSERT
   * cannot see its own rows: that group waits for the next commit, whose lookup sees them.
   */
  private takeStagedBatch(): StagedGroup[] {
    const batch: StagedGroup[] = [];
    // The batch's keys, built only when a group that may repeat a call follows (retries, replays): seldom.
    let keys: Set<string> | null = null;
    let rows = 0;
    while (this.staged.length > 0) {
      const next = this.staged[0] as StagedGroup;
      if (batch.length > 0) {
        if (rows + next.keptRows.length > this.options.maxBatchRows) break;
        if (next.maybeStored.length > 0) {
          const batchKeys: Set<string> = keys ?? new Set(batch.flatMap((group) => group.keptRows.map(callKey)));
          keys = batchKeys;
          if (next.maybeStored.some((row) => batchKeys.has(callKey(row)))) break;
        }
      }
      batch.push(next);
      this.staged.shift();
      rows += next.keptRows.length;
      if (keys !== null) for (const row of next.keptRows) keys.add(callKey(row));
    }
    return batch;
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

  /** Filters nested repeats and writes the group's unique rows to its staging file with `persist`. */
  private async stage(writes: PendingWrite[], persist: (csv: Buffer) => Promise<string>): Promise<StagedGroup | null> {
    const rows = writes.flatMap((write) => write.rows);
    // Remembered before the commit so the next group, staged meanwhile, sees this one's call spans.
    const { nested, remembered } = this.options.nestedCalls.admit(rows);
    const group: StagedGroup = {
      writes,
      rowCount: rows.length,
      fates: new Uint8Array(rows.length),
      keptRows: [],
      remembered,
      maybeStored: [],
      file: null,
      days: new Set(),
      stagedAtMs: Date.now(),
    };
    const csv = new LlmCallCsv(rows.length);
    // Emptied first, so a group that threw half-way cannot leave its ids to the next.
    this.stagingIds.reset(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as LlmCall;
      if (nested[i]) {
        group.fates[i] = RowFate.Nested;
        continue;
      }
      const hash = callHash(row);
      if (!this.stagingIds.addIfNew(row, hash)) {
        group.fates[i] = RowFate.RepeatInGroup;
        continue;
      }
      group.keptRows.push(row);
      // Recorded now: the next group, staged before this one commits, may carry the same calls again.
      if (!this.recentKeys.claimIfNew(row, hash)) group.maybeStored.push(row);
      group.days.add(dayOf(row.start_time.getTime()));
      csv.append(row);
    }
    try {
      if (group.keptRows.length > 0) group.file = await persist(csv.bytes);
    } catch (error) {
      this.fail(group, error, 'staging the rows failed; clients will retry');
      return null;
    }
    this.recentKeys.evict(Date.now());
    return group;
  }

  /**
   * Inserts the groups' rows that are not in the ledger yet in one statement, and answers their writers. Throws
   * when the INSERT fails for another reason than the rows' own data; nothing is answered then.
   */
  private async commit(groups: StagedGroup[]): Promise<void> {
    const maybeStored = groups.flatMap((group) => group.maybeStored);
    const stored = await this.findStored(maybeStored);
    const files = groups.flatMap((group) => (group.file === null ? [] : [group.file]));
    const uniqueRows = stagedRows(groups);
    let refusedReasons = new Map<string, string>();
    if (uniqueRows > stored.size) {
      await this.options.dailySpend?.touch(this.connection, new Set(groups.flatMap((group) => [...group.days])));
      // One statement: atomic and durable when it returns. Commits never overlap, so no other writer can slip a
      // row in between the lookup above and this insert.
      const insert = `INSERT INTO llm_calls ${selectStagedCalls(files)}`;
      try {
        if (stored.size === 0) await this.connection.run(insert);
        else await this.connection.run(`${insert} WHERE NOT list_contains($stored, trace_id || '/' || span_id)`, { stored: listValue([...stored]) });
        this.insertsCommitted += 1;
      } catch (error) {
        if (!isDataError(error)) throw error;
        refusedReasons = await this.insertAroundRefused(groups, stored, error);
      }
    }
    for (const file of files) await (this.options.journal?.remove(file) ?? rm(file, { force: true }));
    this.recentKeys.add(maybeStored.filter((row) => !stored.has(callKey(row))));
    // Rows are looked up by key only when some were found stored or refused: otherwise every kept row went in.
    const byKey = stored.size > 0 || refusedReasons.size > 0;
    for (const group of groups) {
      this.queuedRows -= group.rowCount;
      let rowIndex = 0;
      for (const write of group.writes) {
        const result: WriteResult = { inserted: [], nested: 0, repeated: [], refused: [] };
        for (const row of write.rows) {
          const fate = group.fates[rowIndex++];
          if (fate === RowFate.Nested) {
            result.nested += 1;
            continue;
          }
          if (!byKey) {
            if (fate === RowFate.Kept) result.inserted.push(row);
            continue;
          }
          const key = callKey(row);
          const reason = refusedReasons.get(key);
          if (stored.has(key)) result.repeated.push(row);
          else if (reason !== undefined) result.refused.push({ row, reason });
          else if (fate === RowFate.Kept) result.inserted.push(row);
        }
        write.durable.resolve();
        write.committed.resolve(result);
      }
    }
  }

  /**
   * After DuckDB refused a commit over its data (a value it cannot store, a constraint): inserts the new rows in
   * halves, recursively, so only the rows refused on their own stay out, about 2·log2(rows) more INSERTs for each.
   * Without it one bad row would fail every request sharing its commit, on every retry (journal mode: every
   * commit after it). Refused rows the journal acknowledged are kept in its quarantine. Other errors are thrown.
   */
  private async insertAroundRefused(groups: StagedGroup[], stored: Set<string>, firstError: unknown): Promise<Map<string, string>> {
    // Halves already inserted when another error stops this: the commit's retry must look every row up.
    for (const group of groups) group.maybeStored = group.keptRows;
    const refusedRows = new Map<string, LlmCall>();
    const reasons = new Map<string, string>();
    const file = this.staging.file('refused-halves.csv');
    const insert = async (rows: LlmCall[], knownError: unknown): Promise<void> => {
      let error = knownError;
      if (error === null) {
        try {
          await writeFile(file, llmCallsCsv(rows));
          await this.connection.run(`INSERT INTO llm_calls ${selectStagedCalls([file])}`);
          return;
        } catch (attemptError) {
          if (!isDataError(attemptError)) throw attemptError;
          error = attemptError;
        }
      }
      const [only] = rows;
      if (rows.length === 1 && only !== undefined) {
        refusedRows.set(callKey(only), only);
        reasons.set(callKey(only), (error as Error).message.split('\n')[0] ?? '');
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await insert(rows.slice(0, half), null);
      await insert(rows.slice(half), null);
    };
    try {
      await insert(groups.flatMap((group) => group.keptRows.filter((row) => !stored.has(callKey(row)))), firstError);
    } finally {
      await rm(file, { force: true });
    }
    if (refusedRows.size > 0) {
      const quarantined = await this.options.journal?.quarantine(llmCallsCsv([...refusedRows.values()]));
      this.options.logger.error(
        { rows: refusedRows.size, reason: withoutQuotedText(reasons.values().next().value ?? ''), quarantined },
        quarantined === undefined ? 'DuckDB refused rows over their data; their spans are rejected' : 'DuckDB refused acknowledged rows over their data; they are kept in the journal quarantine',
      );
    }
    return reasons;
  }

  /**
   * Which of these calls the ledger holds already, each looked up within the start-time range of the calls near
   * it (`splitByStartTime`): one SEMI JOIN per range, in one statement, so DuckDB skips the row groups outside.
   */
  private async findStored(calls: LlmCall[]): Promise<Set<string>> {
    if (calls.length === 0) return new Set();
    const ranges = splitByStartTime(calls, (call) => call.start_time.getTime(), maxLookupRanges, lookupRangeGapMs);
    const params: Record<string, DuckDBValue> = {};
    const lookups = ranges.map((range, i) => {
      params[`traces${i}`] = listValue(range.items.map((call) => call.trace_id));
      params[`spans${i}`] = listValue(range.items.map((call) => call.span_id));
      params[`min${i}`] = timestamp(new Date(range.minMs));
      params[`max${i}`] = timestamp(new Date(range.maxMs));
      return `SELECT k.trace_id || '/' || k.span_id FROM (SELECT unnest($traces${i}) AS trace_id, unnest($spans${i}) AS span_id) k
       SEMI JOIN llm_calls l ON l.trace_id = k.trace_id AND l.span_id = k.span_id AND l.start_time BETWEEN $min${i} AND $max${i}`;
    });
    const found = await this.connection.runAndReadAll(lookups.join('\nUNION ALL\n'), params);
    return new Set((found.getColumnsJS()[0] ?? []) as string[]);
  }

  /** Answers a group that could not be made durable (or, stopping, committed) with a retryable error. */
  private fail(group: StagedGroup, error: unknown, message: string): void {
    this.queuedRows -= group.rowCount;
    this.options.nestedCalls.forget(group.remembered);
    this.options.logger.error({ err: error, rows: group.rowCount }, message);
    const retryable = new RetryableError('storage is temporarily unavailable', 5);
    for (const write of group.writes) {
      write.durable.reject(retryable);
      write.committed.reject(retryable);
    }
  }
}

/**
 * A promise with its settle functions. Its rejection is marked handled: a caller that awaits only one of a
 * write's two promises must not crash the process with the other's unhandled rejection.
 */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function refused(error: RetryableError): DurableWrite {
  const durable = deferred<void>();
  const committed = deferred<WriteResult>();
  durable.reject(error);
  committed.reject(error);
  return { durable: durable.promise, committed: committed.promise };
}

/**
 * At start-up, before anything else reads the ledger: commits the rows a previous run acknowledged from its
 * journal and did not commit, each file in one transaction (rows already in the ledger are skipped, so a file
 * whose commit finished just before the crash adds nothing). A file DuckDB refuses over its data goes to the
 * quarantine; one that cannot be read stops the start, named, rather than be dropped: its rows were acknowledged.
 */
async function replayJournal(connection: DuckDBConnection, journal: LedgerJournal, options: LedgerWriterOptions): Promise<void> {
  for (const file of journal.leftovers()) {
    const staged = selectStagedCalls([file]);
    let inserted: number;
    let rows: number;
    try {
      const range = await connection.runAndReadAll(
        `SELECT epoch_ms(min(start_time)), epoch_ms(max(start_time)), count(*), string_agg(DISTINCT (start_time::DATE - DATE '1970-01-01')::VARCHAR, ',') FROM (${staged})`,
      );
      const [minValue, maxValue, count, days] = range.getRows()[0] ?? [];
      const [minMs, maxMs] = [minValue, maxValue].map((value) => (value === null ? NaN : Number(value)));
      rows = Number(count ?? 0);
      inserted = await inTransaction(connection, async () => {
        await options.dailySpend?.touch(connection, typeof days === 'string' ? days.split(',').map(Number) : []);
        const result = await connection.run(
          `INSERT INTO llm_calls SELECT s.* FROM (${staged}) s
           ANTI JOIN (SELECT trace_id, span_id FROM llm_calls WHERE start_time BETWEEN $min AND $max) l
             ON s.trace_id = l.trace_id AND s.span_id = l.span_id`,
          { min: timestamp(new Date(minMs ?? 0)), max: timestamp(new Date(maxMs ?? 0)) },
        );
        return result.rowsChanged;
      });
    } catch (error) {
      if (isDataError(error)) {
        const quarantined = await journal.quarantineFile(file);
        options.logger.error(
          { file: quarantined, reason: withoutQuotedText((error as Error).message) },
          'DuckDB refuses rows of a ledger journal file over their data; the file is moved to the journal quarantine and the start goes on',
        );
        continue;
      }
      throw new Error(`cannot replay the ledger journal file ${file}: ${(error as Error).message}`, { cause: error });
    }
    options.logger.warn({ file, rows, inserted }, 'committed acknowledged rows from the ledger journal');
    await journal.remove(file);
  }
}

function stagedRows(groups: readonly StagedGroup[]): number {
  return groups.reduce((sum, group) => sum + group.keptRows.length, 0);
}

/**
 * Calls that started within the window, from the ledger, so a restart does not forget what is stored: the newest
 * `maxKeys` of them, and the earliest of those ahead of the clock up to their cap, hashed by DuckDB after the LIMIT
 * (a busy ledger has millions, too many to read as ids).
 */
async function loadRecentKeys(connection: DuckDBConnection, options: RecentCallKeysOptions): Promise<RecentCallKeys> {
  const nowMs = Date.now();
  const aheadFrom = timestamp(new Date(RecentCallKeys.aheadFromMs(options, nowMs)));
  const load = async (where: string, order: 'ASC' | 'DESC', limit: number, params: Record<string, DuckDBValue>) => {
    const result = await connection.runAndReadAll(
      `SELECT ${callHashSql} AS hash, epoch_ms(start_time) AS start_ms
       FROM (SELECT trace_id, span_id, start_time FROM llm_calls WHERE ${where} ORDER BY start_time ${order} LIMIT ${limit})`,
      params,
    );
    // An empty result has no column chunks at all.
    const [hashes = [], starts = []] = result.getColumnsJS() as [Array<number | null>?, Array<number | bigint>?];
    return { hashes, startsMs: starts.map(Number) };
  };
  const recent = await load('start_time >= $from AND start_time < $aheadFrom', 'DESC', options.maxKeys, {
    from: timestamp(new Date(nowMs - options.windowMs)),
    aheadFrom,
  });
  const ahead = await load('start_time >= $aheadFrom', 'ASC', RecentCallKeys.maxAheadKeys(options), { aheadFrom });
  return RecentCallKeys.fromLedger(options, nowMs, recent, ahead);
}
