import { readFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queriesDir } from './database.js';
import { timestamp } from './llm-call-appender.js';
import { inTransaction } from './transaction.js';

const dayMs = 86_400_000;

/** UTC day number (days since 1970-01-01) of a time in epoch milliseconds. */
export function dayOf(ms: number): number {
  return Math.floor(ms / dayMs);
}

function dayStart(day: number) {
  return timestamp(new Date(day * dayMs));
}

/** The UTC day numbers `spend_daily_days` marks not fresh. */
async function staleDaysIn(connection: DuckDBConnection): Promise<number[]> {
  const stale = await connection.runAndReadAll(
    `SELECT (epoch_ms(day::TIMESTAMP) // ${dayMs})::INTEGER AS day FROM spend_daily_days WHERE NOT fresh`,
  );
  return (stale.getColumnsJS()[0] ?? []).map(Number);
}

/**
 * The daily spend cache (`spend_daily`, `spend_daily_days` in queries/schema.sql): what the spend reports read
 * for whole UTC days instead of every call of those days. It is a cache of `llm_calls`, never a second source:
 * a day is read from it only while `spend_daily_days` says the day is fresh, and the reports read every other
 * day (today, a day that got a late call since) from `llm_calls` itself, so results are always exact.
 *
 * The ledger writer calls `touch` before it inserts a group of calls (a day becomes stale before any new call
 * of it is visible) and `refresh` between commits (past stale days are recomputed, one transaction each).
 * Both must be called from the one writer, one at a time: the in-memory set of stale days is only right if
 * nothing else changes `spend_daily_days` meanwhile.
 */
export class DailySpend {
  private constructor(
    private readonly refreshSql: string,
    /** Days known to be marked not fresh in `spend_daily_days`: touching them again costs nothing. */
    private readonly staleDays: Set<number>,
  ) {}

  /**
   * At start-up: every day that has calls gets a `spend_daily_days` row, not fresh when it is new (a ledger
   * written before the cache existed, or rows written by something other than the ledger writer), so the
   * reports read those days from `llm_calls` until `refresh` has computed them. One scan of `start_time`.
   */
  static async open(connection: DuckDBConnection): Promise<DailySpend> {
    await connection.run(`
      INSERT INTO spend_daily_days
      SELECT DISTINCT start_time::DATE, false, NULL FROM llm_calls
      ON CONFLICT (day) DO NOTHING`);
    return new DailySpend(await readFile(`${queriesDir}refresh-spend-daily.sql`, 'utf8'), new Set(await staleDaysIn(connection)));
  }

  /** Days marked not fresh (UTC day numbers); for tests and logs. */
  get staleDayCount(): number {
    return this.staleDays.size;
  }

  /**
   * Marks these UTC days (day numbers, see dayOf) not fresh, before calls of those days are inserted. Runs no SQL
   * when every one is already marked (the usual case: all calls are today's). Only days that get calls: a batch
   * with one call dated 1970 (an unset start time) and the rest today marks two days, not the 20,000 between.
   */
  async touch(connection: DuckDBConnection, days: Iterable<number>): Promise<void> {
    const unmarked = [...days].filter((day) => Number.isSafeInteger(day) && !this.staleDays.has(day));
    if (unmarked.length === 0) return;
    await connection.run(
      `INSERT INTO spend_daily_days
       SELECT DATE '1970-01-01' + day::INTEGER, false, NULL FROM unnest(string_split($days, ',')) AS days(day)
       ON CONFLICT (day) DO UPDATE SET fresh = false`,
      { days: unmarked.join(',') },
    );
    for (const day of unmarked) this.staleDays.add(day);
  }

  /**
   * Recomputes up to `maxDays` stale days before today's UTC day (today is still being written and is read
   * from `llm_calls`), the most recent first. Each day in one transaction: its `spend_daily` rows are deleted
   * and computed again from `llm_calls`, and the day is marked fresh. Returns how many days were refreshed.
   */
  async refresh(connection: DuckDBConnection, now: Date, maxDays = 1): Promise<number> {
    if (maxDays <= 0) return 0;
    const today = dayOf(now.getTime());
    const due = await connection.runAndReadAll(
      `SELECT (epoch_ms(day::TIMESTAMP) // ${dayMs})::INTEGER AS day FROM spend_daily_days
       WHERE NOT fresh AND day < $today::DATE
       ORDER BY day DESC
       LIMIT $limit`,
      { today: dayStart(today), limit: Math.floor(maxDays) },
    );
    const days = (due.getColumnsJS()[0] ?? []).map(Number);
    for (const day of days) {
      await inTransaction(connection, async () => {
        await connection.run('DELETE FROM spend_daily WHERE day = $day::DATE', { day: dayStart(day) });
        await connection.run(this.refreshSql, { since: dayStart(day), until: dayStart(day + 1) });
        await connection.run('UPDATE spend_daily_days SET fresh = true, refreshed_at = $now WHERE day = $day::DATE', {
          day: dayStart(day),
          now: timestamp(now),
        });
      });
      this.staleDays.delete(day);
    }
    return days.length;
  }

  /**
   * Marks every day (or every day from `since`) not fresh and recomputes all of them before today: what
   * `genai-chargeback rebuild-actions` does to the cache. Same as `UPDATE spend_daily_days SET fresh = false`
   * followed by the service's refreshes, all at once. Returns how many days were recomputed.
   */
  async rebuild(connection: DuckDBConnection, now: Date, since: Date | null = null): Promise<number> {
    const from = since === null ? null : dayStart(dayOf(since.getTime()));
    await connection.run('UPDATE spend_daily_days SET fresh = false WHERE $from::TIMESTAMP IS NULL OR day >= $from::DATE', { from });
    for (const day of await staleDaysIn(connection)) this.staleDays.add(day);
    let refreshed = 0;
    for (let batch = await this.refresh(connection, now, 64); batch > 0; batch = await this.refresh(connection, now, 64)) refreshed += batch;
    return refreshed;
  }
}
