import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawParameters } from '../../processor/src/reports/parameters.js';
import type { ReportCell } from '../../processor/src/reports/report-result.js';
import { runReport } from '../../processor/src/reports/runner.js';
import { prepareReport } from '../../processor/src/reports/execute-report.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { DailySpend, dayOf } from '../../processor/src/store/spend-daily.js';
import { isoDay, nanos, openSeededLedger, testNow, usd, type SeededLedger } from './report-fixture.js';
import { insertSeed, type SeedCall } from './seed-ledger.js';

/**
 * The spend reports read whole fresh days from the daily spend cache (spend_daily) and the rest from
 * llm_calls. Whatever the cache holds, they must return exactly what they return from llm_calls alone: every
 * row, every count and token sum, every cost to the nano-dollar. With no fresh day the reports read only
 * llm_calls, which the other report tests check against figures computed from the seed.
 */
const dir = mkdtempSync(join(tmpdir(), 'gc-spend-daily-reports-'));
let ledger: SeededLedger;
let spend: DailySpend;
beforeAll(async () => {
  ledger = await openSeededLedger(join(dir, 'ledger.duckdb'));
});
afterAll(async () => {
  await ledger.db.close();
  rmSync(dir, { recursive: true, force: true });
});

type Case = { report: string; raw: RawParameters };

const windows: RawParameters[] = [
  { since: '2026-11-01', until: '2026-12-01' },
  { since: '2026-10-05', until: '2026-11-30' },
  { since: '2026-10-07T13:00:00Z', until: '2026-11-20T05:30:00Z' },
  { since: '2026-10-20', until: '2026-10-21' },
  { since: '2026-10-20T01:00:00Z', until: '2026-10-20T23:00:00Z' },
  { since: '2026-10-20T00:00:00.001Z', until: '2026-10-22T23:59:59.999Z' },
  { since: '2026-10-01' },
  { since: '2027-01-01', until: '2027-02-01' },
];
const teams: RawParameters[] = [{}, { team: ['(unallocated)'] }, { team: ['search', '(unallocated)'] }];
const spendReports = ['spend-by-team', 'spend-by-team-model', 'spend-by-model', 'spend-by-provider', 'spend-by-environment'];

const cases: Case[] = [
  ...spendReports.flatMap((report) =>
    windows.flatMap((window, w) =>
      teams.map((team, t) => ({ report, raw: { ...window, ...team, grain: (['day', 'week', 'month'] as const)[(w + t) % 3] } })),
    ),
  ),
  { report: 'spend-by-team-model', raw: { since: '2026-10-01', until: '2026-12-01', team: ['nobody'], grain: 'day' } },
  ...windows.map((window) => ({ report: 'unallocated-share', raw: window })),
  ...[{ until: '2026-11-30' }, { since: '2026-10-12', until: '2026-11-25T12:00:00Z', team: ['ads', '(unallocated)'] }, { since: '2026-11-01' }].map(
    (raw) => ({ report: 'team-trends', raw }),
  ),
  ...['2026-10', '2026-11', '2026-12'].flatMap((month) => [
    { report: 'chargeback', raw: { month } },
    { report: 'chargeback', raw: { month, platform_team: 'platform' } },
    { report: 'chargeback', raw: { month, rule: 'platform', platform_team: 'platform' } },
  ]),
];

async function runAll(): Promise<Record<string, ReportCell>[][]> {
  return Promise.all(cases.map((c) => ledger.run(c.report, c.raw)));
}

async function freshDays(): Promise<string[]> {
  const result = await ledger.db.connection.runAndReadAll('SELECT day::VARCHAR FROM spend_daily_days WHERE fresh ORDER BY day');
  return (result.getColumnsJS()[0] ?? []).map(String);
}

/** The reports as llm_calls alone answers them: every day marked stale for the run, then marked back. */
async function fromCallsAlone(): Promise<Record<string, ReportCell>[][]> {
  const connection = ledger.db.connection;
  await connection.run('CREATE OR REPLACE TEMP TABLE was_fresh AS SELECT day FROM spend_daily_days WHERE fresh');
  await connection.run('UPDATE spend_daily_days SET fresh = false');
  try {
    return await runAll();
  } finally {
    await connection.run('UPDATE spend_daily_days SET fresh = true WHERE day IN (SELECT day FROM was_fresh)');
  }
}

function expectSame(actual: Record<string, ReportCell>[][], expected: Record<string, ReportCell>[][]) {
  expect(actual).toHaveLength(cases.length);
  cases.forEach((c, i) => expect({ ...c, rows: actual[i] }).toEqual({ ...c, rows: expected[i] }));
}

const seedDays = () => [...new Set(ledger.calls.map((c) => isoDay(c.start)))].sort();

describe('spend reports over the daily spend cache', () => {
  let truth: Record<string, ReportCell>[][];

  it('with no cache (a ledger written before it), backfilled at open: every day read from llm_calls', async () => {
    truth = await runAll();
    expect(truth.some((rows) => rows.length > 0)).toBe(true);
    spend = await DailySpend.open(ledger.db.connection);
    expect(await freshDays()).toEqual([]);
    expectSame(await runAll(), truth);
  });

  it('every past day cached: the same rows, to the nano-dollar', async () => {
    expect(await spend.refresh(ledger.db.connection, testNow, 1000)).toBe(seedDays().length);
    expect(await freshDays()).toEqual(seedDays());
    expectSame(await runAll(), truth);
  });

  it('covers unpriced-only groups (NULL cost, never 0) and the (unallocated) team', async () => {
    const byModel = await ledger.run('spend-by-model', { since: '2026-10-07T13:00:00Z', until: '2026-11-20T05:30:00Z', team: ['(unallocated)', 'search'] });
    const unpriced = byModel.filter((r) => r.model === 'mystery-model');
    expect(unpriced.length).toBeGreaterThan(0);
    for (const row of unpriced) {
      expect(row.cost_usd).toBeNull();
      expect(row.unpriced_calls).toBe(row.requests);
    }
    const unallocated = await ledger.run('spend-by-team', { since: '2026-10-07T13:00:00Z', until: '2026-11-20T05:30:00Z', team: ['(unallocated)'] });
    expect(unallocated.length).toBeGreaterThan(0);
    expect(unallocated.every((r) => r.team === '(unallocated)')).toBe(true);
  });

  it('reads whole fresh days from the cache and partial days from llm_calls', async () => {
    const day = '2026-10-20';
    const whole = { since: day, until: '2026-10-21' };
    const partial = { since: `${day}T00:00:00.001Z`, until: '2026-10-21' };
    const total = async (raw: RawParameters) => (await ledger.run('unallocated-share', raw))[0]?.total_cost_usd ?? null;
    const [wholeBefore, partialBefore] = [await total(whole), await total(partial)];
    expect(wholeBefore).not.toBeNull();
    // A tampered cache shows in a window that holds the whole day, not in one that cuts it.
    await ledger.db.connection.run(`UPDATE spend_daily SET cost_usd = cost_usd + 0.000000001 WHERE day = DATE '${day}' AND cost_usd IS NOT NULL`);
    const tamperedRows = Number(
      (await ledger.db.connection.runAndReadAll(`SELECT count(*) FROM spend_daily WHERE day = DATE '${day}' AND cost_usd IS NOT NULL`)).getRows()[0]?.[0],
    );
    expect(nanos(await total(whole)) - nanos(wholeBefore)).toBe(BigInt(tamperedRows));
    expect(await total(partial)).toBe(partialBefore);
    // Stale, the day is read from llm_calls again; refreshed, the cache is right again.
    await spend.touch(ledger.db.connection, [dayOf(Date.parse(`${day}T00:00:00Z`))]);
    expect(await total(whole)).toBe(wholeBefore);
    expect(await spend.refresh(ledger.db.connection, testNow)).toBe(1);
    expect(await total(whole)).toBe(wholeBefore);
  });

  it('stale days in the middle and at the edges of a window', async () => {
    const days = seedDays();
    // The first and last days, and days at the edges and inside the windows above.
    for (const day of [days[0], days[10], days[11], days[20], days.at(-1)] as string[]) {
      await spend.touch(ledger.db.connection, [dayOf(Date.parse(`${day}T00:00:00Z`))]);
    }
    expect((await freshDays()).length).toBe(days.length - 5);
    expectSame(await runAll(), truth);
    expect(await spend.refresh(ledger.db.connection, testNow, 1000)).toBe(5);
    expectSame(await runAll(), truth);
  });

  it('a late call landing in a fresh day: stale after touch, read from llm_calls, cached again after refresh', async () => {
    const day = '2026-11-10';
    const template = ledger.calls.find((c) => c.team === null && c.cost_nanos !== null) as SeedCall;
    const late: SeedCall = { ...template, span_id: 'b'.repeat(16), start: new Date(`${day}T17:00:00Z`), cost_nanos: 123_456_789n };
    expect(await freshDays()).toContain(day);
    await spend.touch(ledger.db.connection, [dayOf(late.start.getTime())]);
    expect(await freshDays()).not.toContain(day);
    await insertSeed(ledger.db.connection, { calls: [late], actions: [] });
    try {
      const withLate = await fromCallsAlone();
      expect(withLate).not.toEqual(truth);
      expectSame(await runAll(), withLate);
      const share = (await ledger.run('unallocated-share', { since: day, until: '2026-11-11' }))[0];
      expect(share?.unallocated_cost_usd).not.toBeNull();

      expect(await spend.refresh(ledger.db.connection, testNow)).toBe(1);
      expect(await freshDays()).toContain(day);
      expectSame(await runAll(), withLate);
      expect(usd(nanos((await ledger.run('spend-by-team', { since: day, until: '2026-11-11', team: ['(unallocated)'] }))[0]?.cost_usd ?? null))).toBe(
        usd(nanos(share?.unallocated_cost_usd ?? null)),
      );
    } finally {
      await ledger.db.connection.run(`DELETE FROM llm_calls WHERE span_id = '${'b'.repeat(16)}'`);
      await spend.touch(ledger.db.connection, [dayOf(late.start.getTime())]);
      await spend.refresh(ledger.db.connection, testNow);
    }
  });

  it('a ledger file from before the cache, read-only: the reports read it all from llm_calls', async () => {
    const old = join(dir, 'old.duckdb');
    const writer = await openDatabase(old);
    await insertSeed(writer.connection, { calls: ledger.calls, actions: [] });
    await writer.connection.run('DROP TABLE spend_daily; DROP TABLE spend_daily_days;');
    await writer.close();
    const reader = await openDatabase(old, { readOnly: true });
    try {
      for (const [i, c] of cases.entries()) {
        const { report, values } = prepareReport(ledger.catalog, c.report, c.raw, testNow);
        const result = await runReport(reader.connection, report, values);
        const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index] ?? null])));
        expect({ ...c, rows }).toEqual({ ...c, rows: truth[i] });
      }
    } finally {
      await reader.close();
    }
  });
});
