import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import { parseConfig } from '../../processor/src/config/load-config.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import { openDatabase, type Database } from '../../processor/src/store/database.js';
import { LedgerJournal } from '../../processor/src/store/ledger-journal.js';
import { LedgerWriter } from '../../processor/src/store/ledger-writer.js';
import { llmCallsCsv } from '../../processor/src/store/llm-call-csv.js';
import { DailySpend } from '../../processor/src/store/spend-daily.js';
import { tempDir } from '../reliability/support.js';
import { closedAfterEach, holdCommits, type OpenLedger } from '../support/ledger-writers.js';
import { llmCallRow } from '../support/llm-call-row.js';

// storage.ack: journal: a write is acknowledged once its rows are fsynced in <db>.journal/, committed after.

const logger = pino({ level: 'silent' });
const open = closedAfterEach();

async function setup(dbPath = join(tempDir('gc-journal-'), 'ledger.duckdb'), log = logger, journalCommitDelayMs?: number) {
  const db = await openDatabase(dbPath);
  const dailySpend = await DailySpend.open(db.connection);
  const journal = LedgerJournal.open(`${dbPath}.journal`);
  const entry: OpenLedger = { db };
  open.push(entry);
  const writer = await LedgerWriter.open(db.instance, { maxBatchRows: 1000, maxQueuedRows: 10_000, logger: log, nestedCalls: new NestedCallFilter(), dailySpend, journal, journalCommitDelayMs });
  entry.writer = writer;
  return { db, writer, journalDir: journal.dir, dbPath };
}

let spanCounter = 0;
/** A new call that started a minute ago, so the writer knows it is new without asking DuckDB. */
function call(overrides: Partial<LlmCall> = {}): LlmCall {
  return llmCallRow(new Date(Date.now() - 60_000), { trace_id: 'a'.repeat(32), span_id: (++spanCounter).toString(16).padStart(16, '0'), ...overrides });
}

async function storedSpans(db: Database): Promise<string[]> {
  const result = await db.connection.runAndReadAll('SELECT span_id FROM llm_calls ORDER BY span_id');
  return result.getRowObjectsJS().map((row) => String(row.span_id));
}

describe('ledger journal (storage.ack: journal)', () => {
  it('acknowledges a write once its rows are fsynced in the journal, then commits them and removes the file', async () => {
    const { db, writer, journalDir } = await setup();
    const release = holdCommits(writer);
    const rows = [call(), call({ team: 'say "hi", ok' })];
    const write = writer.writeDurably(rows);
    await write.durable;

    expect(await storedSpans(db)).toEqual([]);
    const files = readdirSync(journalDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{15}-\d{9}\.csv$/);
    expect(readFileSync(join(journalDir, files[0] as string), 'utf8')).toBe(llmCallsCsv(rows).toString('utf8'));

    release();
    expect((await write.committed).inserted).toEqual(rows);
    expect(await storedSpans(db)).toEqual(rows.map((row) => row.span_id));
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it('stores a call once when its retry is journaled before the first copy is committed', async () => {
    const { db, writer } = await setup();
    const release = holdCommits(writer);
    const [a, b, c] = [call(), call(), call()];
    const old = call({ start_time: new Date('2026-01-05T08:00:00Z'), end_time: new Date('2026-01-05T08:00:01Z') });
    const first = writer.writeDurably([a, b, old]);
    await first.durable;
    const retry = writer.writeDurably([b, c, old]);
    await retry.durable;
    release();

    expect((await first.committed).inserted).toEqual([a, b, old]);
    expect((await retry.committed).inserted).toEqual([c]);
    expect(await storedSpans(db)).toEqual([a, b, c, old].map((row) => row.span_id).sort());
  });

  it('stores a call once when its retry follows, in the same wait, a group with calls the ledger may hold', async () => {
    const { db, writer } = await setup();
    const release = holdCommits(writer);
    const [a, b, c] = [call(), call(), call()];
    const past = { start_time: new Date('2026-01-05T08:00:00Z'), end_time: new Date('2026-01-05T08:00:01Z') };
    const [old1, old2] = [call(past), call(past)];
    // The second group has calls DuckDB must be asked about (too old to be known new); the third retries b.
    const writes = [];
    for (const rows of [[a, old1], [b, old2], [b, c]]) {
      const write = writer.writeDurably(rows);
      await write.durable;
      writes.push(write);
    }
    release();

    const results = await Promise.all(writes.map((write) => write.committed));
    expect(results.map((result) => result.inserted)).toEqual([[a, old1], [b, old2], [c]]);
    expect(results[2]?.repeated).toEqual([b]);
    expect(await storedSpans(db)).toEqual([a, b, c, old1, old2].map((row) => row.span_id).sort());
  });

  it('gathers acknowledged groups into one commit until enough rows are staged; closing commits the rest at once', async () => {
    // A minute's delay: only the row count (maxBatchRows here, 1,000) or closing can start a commit.
    const { db, writer } = await setup(undefined, logger, 60_000);
    const small = [writer.writeDurably([call(), call()]), writer.writeDurably([call()])];
    for (const write of small) await write.durable;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(writer.commits).toBe(0);
    expect(await storedSpans(db)).toEqual([]);

    const large = writer.writeDurably(Array.from({ length: 997 }, () => call()));
    const results = await Promise.all([...small, large].map((write) => write.committed));
    expect(results.map((result) => result.inserted.length)).toEqual([2, 1, 997]);
    expect(writer.commits).toBe(1);
    expect(await storedSpans(db)).toHaveLength(1000);

    const last = writer.writeDurably([call()]);
    await last.durable;
    await writer.close();
    expect((await last.committed).inserted).toHaveLength(1);
    expect(writer.commits).toBe(2);
    expect(await storedSpans(db)).toHaveLength(1001);
  });

  it('commits a lone small group once it has waited the default 200 ms', async () => {
    const { db, writer } = await setup();
    const started = Date.now();
    const write = writer.writeDurably([call()]);
    await write.durable;
    expect((await write.committed).inserted).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect(writer.commits).toBe(1);
    expect(await storedSpans(db)).toHaveLength(1);
  });

  it('refuses a write it cannot journal with a retryable error, logs why, and stores nothing', async () => {
    const lines: string[] = [];
    const { db, writer, journalDir } = await setup(undefined, pino({ level: 'error' }, { write: (line: string) => lines.push(line) }));
    rmSync(journalDir, { recursive: true });
    const write = writer.writeDurably([call()]);
    await expect(write.durable).rejects.toThrow('storage is temporarily unavailable');
    await expect(write.committed).rejects.toThrow('storage is temporarily unavailable');
    expect(writer.queueSize).toBe(0);
    expect(await storedSpans(db)).toEqual([]);
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; rows: number; err: { code: string } });
    expect(logged.map(({ msg, rows, err }) => [msg, rows, err.code])).toEqual([['staging the rows failed; clients will retry', 1, 'ENOENT']]);
  });

  it('retries a failed commit until it succeeds; the acknowledged rows are not lost', async () => {
    const { db, writer, journalDir } = await setup();
    await db.connection.run('ALTER TABLE llm_calls RENAME TO llm_calls_away');
    const rows = [call(), call()];
    const write = writer.writeDurably(rows);
    await write.durable;
    // The first attempt fails (no llm_calls) and the writer retries after 250 ms, then 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(readdirSync(journalDir)).toHaveLength(1);
    await db.connection.run('ALTER TABLE llm_calls_away RENAME TO llm_calls');

    expect((await write.committed).inserted).toEqual(rows);
    expect(await storedSpans(db)).toEqual(rows.map((row) => row.span_id));
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it('replays at start-up what a stopped run acknowledged and did not commit, once, and drops unacknowledged files', async () => {
    const dbPath = join(tempDir('gc-journal-'), 'ledger.duckdb');
    const committedBefore = call();
    const stored = await setup(dbPath);
    await stored.writer.write([committedBefore]);
    await stored.writer.close();
    await stored.db.close();
    open.splice(0);

    // What a kill -9 leaves: a file whose rows were acknowledged (one of them committed just before the kill)
    // and a partial file, never acknowledged.
    const journalDir = `${dbPath}.journal`;
    mkdirSync(journalDir, { recursive: true });
    const day = new Date('2026-03-02T12:00:00Z');
    const acknowledged = [committedBefore, call({ start_time: day, end_time: day }), call()];
    writeFileSync(join(journalDir, '001763000000000-000000007.csv'), llmCallsCsv(acknowledged));
    writeFileSync(join(journalDir, '001763000000001-000000008.partial'), llmCallsCsv([call()]).subarray(0, 40));

    const { db } = await setup(dbPath);
    expect(await storedSpans(db)).toEqual(acknowledged.map((row) => row.span_id).sort());
    expect(readdirSync(journalDir)).toEqual([]);
    const days = await db.connection.runAndReadAll("SELECT fresh FROM spend_daily_days WHERE day = DATE '2026-03-02'");
    expect(days.getRowObjectsJS()).toEqual([{ fresh: false }]);
  });

  it('moves a journal file DuckDB cannot parse to the quarantine, and refuses to start on one it cannot read', async () => {
    const dir = tempDir('gc-journal-');
    const dbPath = join(dir, 'ledger.duckdb');
    mkdirSync(`${dbPath}.journal`);
    writeFileSync(join(`${dbPath}.journal`, '001763000000000-000000001.csv'), 'not,a,ledger,row\n');
    const unreadable = join(`${dbPath}.journal`, '001763000000000-000000002.csv');
    mkdirSync(unreadable);
    const db = await openDatabase(dbPath);
    open.push({ db });
    const journal = LedgerJournal.open(`${dbPath}.journal`);
    await expect(LedgerWriter.open(db.instance, { maxBatchRows: 1000, maxQueuedRows: 10_000, logger, nestedCalls: new NestedCallFilter(), journal })).rejects.toThrow(
      `cannot replay the ledger journal file ${unreadable}`,
    );
    expect(readdirSync(`${dbPath}.journal`)).toEqual(['001763000000000-000000002.csv', 'quarantine']);
    expect(readdirSync(join(`${dbPath}.journal`, 'quarantine'))).toEqual(['001763000000000-000000001.csv']);
  });
});

describe('storage.ack in the config', () => {
  it('defaults to commit, takes journal, and names the field and the fix otherwise', () => {
    expect(parseConfig({}, 'c.yaml').storage.ack).toBe('commit');
    expect(parseConfig({ storage: { ack: 'journal', db: './l.duckdb' } }, 'c.yaml').storage.ack).toBe('journal');
    expect(() => parseConfig({ storage: { ack: 'wal' } }, 'c.yaml')).toThrow(/storage\.ack: 'commit' or 'journal'/);
    expect(() => parseConfig({ storage: { ack: 'journal', db: ':memory:' } }, 'c.yaml')).toThrow(/storage\.ack: ack 'journal' needs a database file/);
  });
});
