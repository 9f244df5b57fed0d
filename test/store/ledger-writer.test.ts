import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import { RetryableError } from '../../processor/src/pipeline/trace-sink.js';
import { openDatabase, type Database } from '../../processor/src/store/database.js';
import { LedgerWriter } from '../../processor/src/store/ledger-writer.js';
import type { RecentCallKeysOptions } from '../../processor/src/store/recent-call-keys.js';
import { DailySpend } from '../../processor/src/store/spend-daily.js';
import { llmCallRow } from '../support/llm-call-row.js';

const logger = pino({ level: 'silent' });
const open: Array<{ db: Database; writer: LedgerWriter }> = [];

async function setup(path = ':memory:', maxQueuedRows = 10_000, recentKeys?: RecentCallKeysOptions) {
  const db = await openDatabase(path);
  const writer = await LedgerWriter.open(db.instance, { maxBatchRows: 1000, maxQueuedRows, logger, nestedCalls: new NestedCallFilter(), recentKeys });
  open.push({ db, writer });
  return { db, writer };
}

afterEach(async () => {
  for (const { db, writer } of open.splice(0)) {
    await writer.close().catch(() => undefined);
    await db.close();
  }
});

/** Calls older than the recent-keys window are looked up in DuckDB; recent ones are decided from memory. */
let startMs = Date.parse('2026-11-20T10:00:00.123Z');

function row(spanId: string, overrides: Partial<LlmCall> = {}): LlmCall {
  return llmCallRow(new Date(startMs), { span_id: spanId.padStart(16, '0'), received_at: new Date('2026-11-20T10:00:02Z'), ...overrides });
}

async function ledger(db: Database) {
  const reader = await db.instance.connect();
  const result = await reader.runAndReadAll(
    'SELECT span_id, team, input_tokens, cost_usd::VARCHAR AS cost, start_time::VARCHAR AS start FROM llm_calls ORDER BY span_id',
  );
  reader.closeSync();
  return result.getRowObjectsJS();
}

describe('LedgerWriter', () => {
  it('stores rows exactly, with decimals and microsecond timestamps', async () => {
    const { db, writer } = await setup();
    const result = await writer.write([row('1'), row('2', { team: null, cost_nanos: null, cost_source: 'unpriced' })]);
    expect(result.inserted).toHaveLength(2);
    expect(await ledger(db)).toEqual([
      { span_id: '0000000000000001', team: 'search', input_tokens: 1000n, cost: '0.002800000', start: '2026-11-20 10:00:00.123' },
      { span_id: '0000000000000002', team: null, input_tokens: 1000n, cost: null, start: '2026-11-20 10:00:00.123' },
    ]);
  });

  it('stores text, numbers and timestamps byte for byte through the CSV staging', async () => {
    const { db, writer } = await setup();
    const nasty = ['', ' ', 'a,b', 'say "hi"', '""', 'line1\nline2', 'crlf\r\nend', 'tab\there', 'back\\slash\\', 'ünïcødé 漢字 🚀', '\'quoted\'', ',', '"', 'null', 'NULL', '\\N',
      // Quotes after non-ASCII text, and values longer than the staging buffer's first size.
      'naïve "quote", then 🚀 "more"', `${'long '.repeat(4_000)}"é"`, `é${'"'.repeat(9_000)}`];
    const rows = nasty.map((value, i) =>
      row(String(i + 1), {
        team: value,
        project: null,
        feature: i % 2 === 0 ? value : null,
        user_id: value === '' ? null : value,
        attributes: JSON.stringify({ 'http.route': value }),
        duration_ms: 0.1 + i / 3,
        input_tokens: 9_007_199_254_740_991 - i,
        cost_nanos: i === 3 ? -1n : 123_456_789_012_345_678n - BigInt(i % 9),
      }),
    );
    expect((await writer.write(rows)).inserted).toHaveLength(rows.length);
    const reader = await db.instance.connect();
    const stored = (
      await reader.runAndReadAll(
        'SELECT team, project, feature, user_id, attributes::VARCHAR AS attributes, duration_ms, input_tokens, cost_usd::VARCHAR AS cost, epoch_ms(start_time) AS start FROM llm_calls ORDER BY span_id',
      )
    ).getRowObjectsJS();
    reader.closeSync();
    expect(stored).toEqual(
      rows.map((r) => ({
        team: r.team,
        project: null,
        feature: r.feature,
        user_id: r.user_id,
        attributes: r.attributes,
        duration_ms: r.duration_ms,
        input_tokens: BigInt(r.input_tokens as number),
        cost: r.cost_nanos === -1n ? '-0.000000001' : `123456789.01234567${8 - Number(123_456_789_012_345_678n - (r.cost_nanos as bigint))}`,
        start: BigInt(r.start_time.getTime()),
      })),
    );
  });

  describe.each([
    ['calls that started before the recent-keys window (looked up in DuckDB)', Date.parse('2026-11-20T10:00:00.123Z')],
    ['calls that started just now (known new from memory)', Date.now()],
  ])('%s', (_label, start) => {
    beforeEach(() => {
      startMs = start;
    });

    it('stores a (trace_id, span_id) once: in one write, across writes, concurrently', async () => {
      const { db, writer } = await setup();
      const first = await writer.write([row('1'), row('1')]);
      expect(first.inserted).toHaveLength(1);
      // Both copies arrived in this write: neither was in the ledger before it.
      expect(first.repeated).toEqual([]);
      const [a, b] = await Promise.all([writer.write([row('1'), row('2')]), writer.write([row('2'), row('3')])]);
      expect(a.inserted.map((r) => r.span_id).concat(b.inserted.map((r) => r.span_id)).sort()).toEqual(['0000000000000002', '0000000000000003']);
      expect(a.repeated.map((r) => r.span_id)).toEqual(['0000000000000001']);
      expect(await ledger(db)).toHaveLength(3);
    });

    it('keeps one row for a call reported by a parent and a child span, whichever arrives first', async () => {
      const { db, writer } = await setup();
      const outer = row('10');
      const inner = row('11', { parent_span_id: outer.span_id });
      expect((await writer.write([inner, outer])).inserted.map((r) => r.span_id)).toEqual([outer.span_id]);
      const lateOuter = row('20');
      const earlyInner = row('21', { parent_span_id: lateOuter.span_id });
      expect((await writer.write([earlyInner])).inserted).toHaveLength(1);
      const later = await writer.write([lateOuter]);
      expect(later).toEqual({ inserted: [], nested: 1, repeated: [], refused: [] });
      expect((await ledger(db)).map((r) => r.span_id)).toEqual([outer.span_id, earlyInner.span_id]);
    });

    it('survives a restart: rows on disk, duplicates and nested halves still recognised', async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'gc-writer-')), 'ledger.duckdb');
      const outer = row('30');
      const inner = row('31', { parent_span_id: outer.span_id });
      {
        const { db, writer } = await setup(path);
        await writer.write([row('1'), inner]);
        await writer.close();
        await db.close();
        open.pop();
      }
      const { db, writer } = await setup(path);
      expect((await writer.write([row('1'), outer, row('2')])).inserted.map((r) => r.span_id)).toEqual(['0000000000000002']);
      expect(await ledger(db)).toHaveLength(3);
    });
  });

  it('after a restart with more recent calls than maxKeys, still recognises every one of them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gc-writer-')), 'ledger.duckdb');
    const now = Date.now();
    // 40 calls over the last 40 seconds (four 10-second buckets); the reopened writer loads only the newest 5.
    const recent = Array.from({ length: 40 }, (_, i) => row(String(100 + i), { start_time: new Date(now - 40_000 + i * 1_000) }));
    {
      const { db, writer } = await setup(path);
      expect((await writer.write(recent)).inserted).toHaveLength(40);
      await writer.close();
      await db.close();
      open.pop();
    }
    const { db, writer } = await setup(path, 10_000, { windowMs: 600_000, maxKeys: 5 });
    const fresh = Array.from({ length: 5 }, (_, i) => row(String(200 + i), { start_time: new Date(now - 35_000 + i * 8_000) }));
    expect((await writer.write([...recent, ...fresh])).inserted.map((r) => r.span_id)).toEqual(fresh.map((r) => r.span_id));
    expect(await ledger(db)).toHaveLength(45);
  });

  it('after a restart with more calls ahead of the clock than their cap, still recognises every one of them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gc-writer-')), 'ledger.duckdb');
    const now = Date.now();
    const options = { windowMs: 600_000, maxKeys: 100, aheadMs: 60_000, maxAheadKeys: 10 };
    // A client whose clock is a day ahead, one call per 10-second bucket; the reopened writer loads the first 10.
    const ahead = Array.from({ length: 30 }, (_, i) => row(String(500 + i), { start_time: new Date(now + 86_400_000 + i * 10_000) }));
    const recent = Array.from({ length: 5 }, (_, i) => row(String(600 + i), { start_time: new Date(now - i * 1_000) }));
    {
      const { db, writer } = await setup(path, 10_000, options);
      expect((await writer.write([...ahead, ...recent])).inserted).toHaveLength(35);
      await writer.close();
      await db.close();
      open.pop();
    }
    const { db, writer } = await setup(path, 10_000, options);
    const fresh = [row('700', { start_time: new Date(now) }), row('701', { start_time: new Date(now + 86_400_000 + 5_000) }), row('702', { start_time: new Date(now + 86_400_000 + 295_000) })];
    const again = await writer.write([...ahead, ...recent, ...fresh]);
    expect(again.inserted.map((r) => r.span_id)).toEqual(fresh.map((r) => r.span_id));
    expect(again.repeated).toHaveLength(35);
    expect(await ledger(db)).toHaveLength(38);
  });

  it('recognises stored calls whose start times lie decades apart in one commit, each looked up near its own', async () => {
    const { db, writer } = await setup();
    // Twelve start times over 130 years, more than the 8 ranges one lookup reads: some ranges take several.
    const starts = ['1970-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '2026-11-20T10:00:00Z', '2026-11-20T12:00:00Z', '2100-01-01T00:00:00Z']
      .map(Date.parse)
      .concat(Array.from({ length: 7 }, (_, i) => Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000));
    const stored = starts.map((start, i) => row(String(300 + i), { start_time: new Date(start) }));
    expect((await writer.write(stored)).inserted).toHaveLength(12);
    const fresh = starts.map((start, i) => row(String(400 + i), { start_time: new Date(start + 1) }));
    const again = await writer.write([...stored, ...fresh].reverse());
    expect(again.inserted.map((r) => r.span_id).sort()).toEqual(fresh.map((r) => r.span_id));
    expect(again.repeated.map((r) => r.span_id).sort()).toEqual(stored.map((r) => r.span_id));
    expect(await ledger(db)).toHaveLength(24);
  });

  it('stores a recent call whose key hash collides with a stored one, after looking it up', async () => {
    startMs = Date.now();
    const { db, writer } = await setup();
    // The memory keeps (last 13 hex digits of span + trace) mod 2^52: these two ids sum to the same hash.
    const first = row('2', { trace_id: `${'c'.repeat(31)}1` });
    const collision = row('1', { trace_id: `${'c'.repeat(31)}2` });
    expect((await writer.write([first])).inserted).toHaveLength(1);
    expect((await writer.write([collision])).inserted).toEqual([collision]);
    expect((await writer.write([first, collision])).inserted).toEqual([]);
    expect(await ledger(db)).toHaveLength(2);
  });

  it('marks a day of the daily spend cache stale before inserting its calls, and refreshes it between commits', async () => {
    startMs = Date.parse('2026-11-20T10:00:00.123Z');
    const db = await openDatabase(':memory:');
    const dailySpend = await DailySpend.open(db.connection);
    const writer = await LedgerWriter.open(db.instance, { maxBatchRows: 1000, maxQueuedRows: 10_000, logger, nestedCalls: new NestedCallFilter(), dailySpend });
    open.push({ db, writer });
    const days = async () => (await db.connection.runAndReadAll('SELECT day::VARCHAR AS day, fresh FROM spend_daily_days ORDER BY day')).getRowObjectsJS();
    const cached = async () => (await db.connection.runAndReadAll('SELECT sum(requests)::INTEGER AS requests, sum(cost_usd)::VARCHAR AS cost FROM spend_daily')).getRowObjectsJS();

    await writer.write([row('1'), row('2')]);
    expect(await days()).toEqual([{ day: '2026-11-20', fresh: false }]);
    const [refreshed] = await Promise.all([
      writer.runBetweenCommits((connection) => dailySpend.refresh(connection, new Date('2026-11-22T00:00:00Z'))),
      writer.write([row('3')]),
    ]);
    expect(refreshed).toBe(1);
    // The concurrent write either committed before the refresh (and is counted) or after it (and made the day stale).
    const afterRefresh = await days();
    if (afterRefresh[0]?.fresh === true) expect(await cached()).toEqual([{ requests: 3, cost: '0.008400000' }]);
    else expect(afterRefresh).toEqual([{ day: '2026-11-20', fresh: false }]);

    await writer.write([row('4')]);
    expect(await days()).toEqual([{ day: '2026-11-20', fresh: false }]);
    await writer.runBetweenCommits((connection) => dailySpend.refresh(connection, new Date('2026-11-22T00:00:00Z')));
    expect(await days()).toEqual([{ day: '2026-11-20', fresh: true }]);
    expect(await cached()).toEqual([{ requests: 4, cost: '0.011200000' }]);

    // A call with an unset start time (1970-01-01) beside one of today marks those two days, not every day between.
    await writer.write([row('5', { start_time: new Date(0), end_time: new Date(0) }), row('6')]);
    expect(await days()).toEqual([
      { day: '1970-01-01', fresh: false },
      { day: '2026-11-20', fresh: false },
    ]);
    expect(dailySpend.staleDayCount).toBe(2);
  });

  it('refuses with a retryable 429 when the queue is full, and takes the data once it drains', async () => {
    const { db, writer } = await setup(':memory:', 3);
    const inFlight = writer.write([row('1'), row('2')]);
    await expect(writer.write([row('3'), row('4')])).rejects.toMatchObject({ name: 'RetryableError', httpStatus: 429 });
    await inFlight;
    await writer.write([row('3'), row('4')]);
    expect(await ledger(db)).toHaveLength(4);
    await writer.close();
    await expect(writer.write([row('5')])).rejects.toBeInstanceOf(RetryableError);
  });
});
