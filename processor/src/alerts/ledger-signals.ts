import type { DuckDBConnection } from '@duckdb/node-api';
import { dollarsToNanos } from '../ledger/money.js';
import { timestamp } from '../store/llm-call-appender.js';

const hourMs = 3_600_000;
export const trailingHours = 7 * 24;

/** A team's spend in the hour before `now` and in the 7 days before that hour. */
export interface TeamSpend {
  team: string;
  lastHourNanos: bigint;
  trailingNanos: bigint;
}

export interface DaySpend {
  dayStart: Date;
  dayEnd: Date;
  totalNanos: bigint;
  unallocatedNanos: bigint;
}

/** The inputs of the spike detector, from the ledger (calls counted by start time, like every report). */
export async function readTeamSpend(connection: DuckDBConnection, now: Date): Promise<TeamSpend[]> {
  const hourStart = new Date(now.getTime() - hourMs);
  const reader = await connection.runAndReadAll(
    `SELECT team,
       coalesce(sum(cost_usd) FILTER (WHERE start_time >= $hour_start), 0)::VARCHAR AS last_hour,
       coalesce(sum(cost_usd) FILTER (WHERE start_time < $hour_start), 0)::VARCHAR AS trailing
     FROM llm_calls
     WHERE team IS NOT NULL AND start_time >= $trailing_start AND start_time < $now
     GROUP BY team
     ORDER BY team`,
    {
      hour_start: timestamp(hourStart),
      trailing_start: timestamp(new Date(hourStart.getTime() - trailingHours * hourMs)),
      now: timestamp(now),
    },
  );
  return reader.getRowObjectsJS().map((row) => ({
    team: String(row.team),
    lastHourNanos: nanos(row.last_hour),
    trailingNanos: nanos(row.trailing),
  }));
}

/** The current UTC day's total and unallocated (no team) cost. */
export async function readDaySpend(connection: DuckDBConnection, now: Date): Promise<DaySpend> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const dayEnd = new Date(dayStart.getTime() + 24 * hourMs);
  const reader = await connection.runAndReadAll(
    `SELECT coalesce(sum(cost_usd), 0)::VARCHAR AS total,
       coalesce(sum(cost_usd) FILTER (WHERE team IS NULL), 0)::VARCHAR AS unallocated
     FROM llm_calls WHERE start_time >= $day_start AND start_time < $day_end`,
    { day_start: timestamp(dayStart), day_end: timestamp(dayEnd) },
  );
  const row = reader.getRowObjectsJS()[0] ?? {};
  return { dayStart, dayEnd, totalNanos: nanos(row.total), unallocatedNanos: nanos(row.unallocated) };
}

function nanos(value: unknown): bigint {
  return dollarsToNanos(String(value ?? '0')) ?? 0n;
}
