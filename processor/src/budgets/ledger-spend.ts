import type { DuckDBConnection } from '@duckdb/node-api';
import { dollarsToNanos } from '../ledger/money.js';
import { timestamp } from '../store/llm-call-appender.js';
import { BUDGET_DIMENSIONS, type Budget } from './budget.js';
import type { LoadedSpend, WindowSpend } from './spend.js';
import { windowAfter, windowAt } from './window.js';

/**
 * Reads each budget's spend for its current and next window from `llm_calls`: the state the processor starts
 * from, so a restart knows what was spent (the source of truth is the ledger, not memory).
 */
export async function loadBudgetSpend(connection: DuckDBConnection, budgets: readonly Budget[], now: Date): Promise<Map<string, LoadedSpend>> {
  const loaded = new Map<string, LoadedSpend>();
  for (const budget of budgets) {
    const window = windowAt(budget.period, budget.timeZone, now);
    const next = windowAfter(budget.period, budget.timeZone, window);
    const filters: string[] = [];
    const values: Record<string, string | ReturnType<typeof timestamp>> = {
      start: timestamp(window.start),
      split: timestamp(window.end),
      end: timestamp(next.end),
    };
    // Column names come from the fixed dimension list; the values travel as parameters.
    for (const dimension of BUDGET_DIMENSIONS) {
      const value = budget.scope[dimension];
      if (value === undefined) continue;
      filters.push(`AND ${dimension} = $${dimension}`);
      values[dimension] = value;
    }
    const reader = await connection.runAndReadAll(
      `SELECT
         coalesce(sum(cost_usd) FILTER (WHERE start_time < $split), 0)::VARCHAR AS current_cost,
         count(*) FILTER (WHERE start_time < $split)::INTEGER AS current_calls,
         count(*) FILTER (WHERE start_time < $split AND cost_usd IS NULL)::INTEGER AS current_unpriced,
         coalesce(sum(cost_usd) FILTER (WHERE start_time >= $split), 0)::VARCHAR AS next_cost,
         count(*) FILTER (WHERE start_time >= $split)::INTEGER AS next_calls,
         count(*) FILTER (WHERE start_time >= $split AND cost_usd IS NULL)::INTEGER AS next_unpriced
       FROM llm_calls
       WHERE start_time >= $start AND start_time < $end ${filters.join(' ')}`,
      values,
    );
    const row = reader.getRowObjectsJS()[0] ?? {};
    loaded.set(budget.name, {
      current: spendOf(row.current_cost, row.current_calls, row.current_unpriced),
      next: spendOf(row.next_cost, row.next_calls, row.next_unpriced),
    });
  }
  return loaded;
}

function spendOf(cost: unknown, calls: unknown, unpriced: unknown): WindowSpend {
  return { spentNanos: dollarsToNanos(String(cost ?? '0')) ?? 0n, calls: Number(calls ?? 0), unpricedCalls: Number(unpriced ?? 0) };
}
