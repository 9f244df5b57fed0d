import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../processor/src/store/database.js';
import { DailySpend, dayOf } from '../../processor/src/store/spend-daily.js';
import { groupBy, isoDay, sumNanos, usd } from '../reports/report-fixture.js';
import { buildSeed, insertSeed, sumOrNull, type SeedCall } from '../reports/seed-ledger.js';

const dayMs = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'gc-spend-daily-'));
const seed = buildSeed();
const seedDays = [...new Set(seed.calls.map((c) => isoDay(c.start)))].sort();
const lastDay = seedDays.at(-1) as string;

let db: Database;
beforeAll(async () => {
  // A ledger written before the cache existed: calls, but no spend_daily_days rows.
  db = await openDatabase(join(dir, 'ledger.duckdb'));
  await insertSeed(db.connection, { calls: seed.calls, actions: [] });
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function days(connection: DuckDBConnection): Promise<{ day: string; fresh: boolean }[]> {
  const result = await connection.runAndReadAll('SELECT day::VARCHAR AS day, fresh FROM spend_daily_days ORDER BY day');
  return result.getRowObjectsJS() as { day: string; fresh: boolean }[];
}

/** What spend_daily must hold for a day, per team, from the seed calls (computed apart from the SQL). */
function expectedDay(day: string) {
  const calls = seed.calls.filter((c) => isoDay(c.start) === day);
  return [...groupBy(calls, (c) => c.team ?? '')]
    .map(([team, group]) => ({
      team: team === '' ? null : team,
      requests: String(group.length),
      failed_requests: String(group.filter((c) => c.status === 'error').length),
      unpriced_calls: String(group.filter((c) => c.cost_nanos === null).length),
      input_tokens: nullableString(sumOrNull(group.map((c) => c.input_tokens))),
      cached_tokens: nullableString(sumOrNull(group.map((c) => c.cache_read_tokens))),
      output_tokens: nullableString(sumOrNull(group.map((c) => c.output_tokens))),
      cost_usd: usd(sumNanos(group.map((c) => c.cost_nanos))),
    }))
    .sort((a, b) => String(a.team).localeCompare(String(b.team)));
}

async function cachedDay(day: string) {
  const result = await db.connection.runAndReadAll(
    `SELECT team, sum(requests)::VARCHAR AS requests, sum(failed_requests)::VARCHAR AS failed_requests,
            sum(unpriced_calls)::VARCHAR AS unpriced_calls, sum(input_tokens)::VARCHAR AS input_tokens,
            sum(cached_tokens)::VARCHAR AS cached_tokens, sum(output_tokens)::VARCHAR AS output_tokens,
            sum(cost_usd)::VARCHAR AS cost_usd
     FROM spend_daily WHERE day = $day::DATE GROUP BY team`,
    { day },
  );
  return (result.getRowObjectsJS() as { team: string | null }[]).sort((a, b) => String(a.team).localeCompare(String(b.team)));
}

function nullableString(value: number | null): string | null {
  return value === null ? null : String(value);
}

/** Counts the statements a DailySpend runs on a connection. */
function counting(connection: DuckDBConnection): { connection: DuckDBConnection; statements: () => number } {
  let statements = 0;
  const proxy = new Proxy(connection, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'run' || property === 'runAndReadAll') statements++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { connection: proxy, statements: () => statements };
}

describe('DailySpend', () => {
  let spend: DailySpend;

  it('at open, marks every day that has calls not fresh (a ledger written before the cache)', async () => {
    expect(await days(db.connection)).toEqual([]);
    spend = await DailySpend.open(db.connection);
    expect(await days(db.connection)).toEqual(seedDays.map((day) => ({ day, fresh: false })));
    expect(spend.staleDayCount).toBe(seedDays.length);
  });

  it('refreshes past stale days, the most recent first, up to maxDays a call, never today', async () => {
    const now = new Date(`${lastDay}T12:00:00Z`);
    expect(await spend.refresh(db.connection, now, 2)).toBe(2);
    const fresh = (await days(db.connection)).filter((d) => d.fresh).map((d) => d.day);
    expect(fresh).toEqual(seedDays.slice(-3, -1));
    for (const day of fresh) expect(await cachedDay(day)).toEqual(expectedDay(day));

    expect(await spend.refresh(db.connection, now, 1000)).toBe(seedDays.length - 3);
    expect((await days(db.connection)).filter((d) => !d.fresh).map((d) => d.day)).toEqual([lastDay]);
    expect(await spend.refresh(db.connection, now, 1000)).toBe(0);
    // The next day, the last one is in the past and gets computed.
    expect(await spend.refresh(db.connection, new Date(now.getTime() + dayMs), 1000)).toBe(1);
    for (const day of seedDays) expect(await cachedDay(day)).toEqual(expectedDay(day));
    expect(spend.staleDayCount).toBe(0);
  });

  it('a reopened ledger keeps its fresh days', async () => {
    const again = await DailySpend.open(db.connection);
    expect(again.staleDayCount).toBe(0);
    expect((await days(db.connection)).every((d) => d.fresh)).toBe(true);
  });

  it('touch marks the given days not fresh, only those, and skips the SQL when they are marked', async () => {
    const { connection, statements } = counting(db.connection);
    const first = Date.parse(`${seedDays[3]}T23:59:59.999Z`);
    // A call at 1970-01-01 (an unset start time) beside one of seedDays[3]: two days, not the ~20,000 between.
    await spend.touch(connection, new Set([dayOf(first), dayOf(first + 1), dayOf(0)]));
    expect(statements()).toBe(1);
    const touched = [seedDays[3], isoDay(new Date(first + 1)), '1970-01-01'];
    const rows = await days(db.connection);
    for (const day of touched) expect(rows.find((d) => d.day === day)).toEqual({ day, fresh: false });
    expect(rows.filter((d) => !d.fresh)).toHaveLength(3);
    expect(spend.staleDayCount).toBe(3);

    await spend.touch(connection, [dayOf(first + 5), dayOf(first + 1)]);
    expect(statements()).toBe(1);
    // A partly known set runs the SQL again; an empty one never does.
    await spend.touch(connection, [dayOf(first - dayMs), dayOf(first)]);
    expect(statements()).toBe(2);
    await spend.touch(connection, []);
    expect(statements()).toBe(2);
    await db.connection.run(`DELETE FROM spend_daily_days WHERE day = DATE '1970-01-01'`);
  });

  it('a late call in a fresh day: stale after touch, counted after refresh', async () => {
    await spend.refresh(db.connection, new Date('2027-01-01T00:00:00Z'), 1000);
    const day = seedDays[10] as string;
    const late: SeedCall = { ...(seed.calls.find((c) => isoDay(c.start) === day) as SeedCall), span_id: 'a'.repeat(16), cost_nanos: 1n };
    late.start = new Date(`${day}T23:00:00Z`);
    await spend.touch(db.connection, [dayOf(late.start.getTime())]);
    expect((await days(db.connection)).find((d) => d.day === day)).toEqual({ day, fresh: false });
    await insertSeed(db.connection, { calls: [late], actions: [] });
    expect(await spend.refresh(db.connection, new Date('2027-01-01T00:00:00Z'))).toBe(1);
    const before = expectedDay(day);
    seed.calls.push(late);
    try {
      const after = await cachedDay(day);
      expect(after).toEqual(expectedDay(day));
      expect(after).not.toEqual(before);
    } finally {
      seed.calls.pop();
      await db.connection.run(`DELETE FROM llm_calls WHERE span_id = '${'a'.repeat(16)}'`);
      await spend.touch(db.connection, [dayOf(late.start.getTime())]);
      await spend.refresh(db.connection, new Date('2027-01-01T00:00:00Z'));
    }
  });

  it('rebuild recomputes every day (rebuild-actions), and from a day on with since', async () => {
    await db.connection.run("UPDATE spend_daily SET cost_usd = 0 WHERE day >= DATE '2026-11-01'");
    const since = new Date('2026-11-01T00:00:00Z');
    const fromNovember = seedDays.filter((day) => day >= '2026-11-01').length;
    expect(await spend.rebuild(db.connection, new Date('2027-01-01T00:00:00Z'), since)).toBe(fromNovember);
    for (const day of seedDays) expect(await cachedDay(day)).toEqual(expectedDay(day));
    expect(await spend.rebuild(db.connection, new Date('2027-01-01T00:00:00Z'))).toBe((await days(db.connection)).length);
    for (const day of seedDays) expect(await cachedDay(day)).toEqual(expectedDay(day));
  });
});
