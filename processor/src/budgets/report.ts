import { formatNanos } from '../ledger/money.js';
import { BUDGET_DIMENSIONS, inScope, thresholdNanos, type BudgetDimension, type BudgetMode, type BudgetScope, type ScopeValues } from './budget.js';
import type { BudgetState } from './spend.js';
import type { BudgetPeriod, BudgetWindow } from './window.js';

/**
 * One budget as `GET /v1/budgets` and `genai-chargeback budgets` show it. Money is decimal text with nine
 * places, like the reports (never a float); `remaining_usd` goes negative once the limit is passed.
 */
export interface BudgetReport {
  name: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  timezone: string;
  mode: BudgetMode;
  window_start: string;
  window_end: string;
  limit_usd: string;
  spent_usd: string;
  remaining_usd: string;
  /** spent / limit (1 = the whole limit). */
  used_share: number;
  /** Spend at the end of the window if the rest of it runs at the window's average rate so far. */
  forecast_usd: string;
  forecast_exceeds_limit: boolean;
  alert_at: number[];
  thresholds_reached: number[];
  /** A `block` budget whose limit is reached: calls in its scope are refused by the instrumentation's gate. */
  blocked: boolean;
  calls: number;
  /** Calls without a cost (the price book could not price them): `spent_usd` leaves them out. */
  unpriced_calls: number;
}

/** Answer of `GET /v1/budgets/status?team=…`: may a call in this scope go ahead? */
export interface ScopeStatus {
  allowed: boolean;
  scope: BudgetScope;
  /** The `block` budgets at their limit, with when their window ends (the block lifts then). */
  blocked_by: Array<{ name: string; limit_usd: string; spent_usd: string; until: string }>;
  /** Every budget that covers the scope, either mode. */
  budgets: BudgetReport[];
  /** Dimensions any `block` budget is scoped on: a client may key its cache on these alone. */
  block_dimensions: BudgetDimension[];
  as_of: string;
}

export function reportBudget(state: BudgetState, now: Date): BudgetReport {
  const { budget, window, spend } = state;
  const forecast = forecastNanos(spend.spentNanos, window, now);
  return {
    name: budget.name,
    scope: budget.scope,
    period: budget.period,
    timezone: budget.timeZone,
    mode: budget.mode,
    window_start: window.start.toISOString(),
    window_end: window.end.toISOString(),
    limit_usd: formatNanos(budget.limitNanos),
    spent_usd: formatNanos(spend.spentNanos),
    remaining_usd: formatNanos(budget.limitNanos - spend.spentNanos),
    used_share: share(spend.spentNanos, budget.limitNanos),
    forecast_usd: formatNanos(forecast),
    forecast_exceeds_limit: forecast > budget.limitNanos,
    alert_at: budget.thresholds,
    thresholds_reached: budget.thresholds.filter((t) => spend.spentNanos >= thresholdNanos(budget.limitNanos, t)),
    blocked: isBlocked(state),
    calls: spend.calls,
    unpriced_calls: spend.unpricedCalls,
  };
}

export function isBlocked({ budget, spend }: BudgetState): boolean {
  return budget.mode === 'block' && spend.spentNanos >= budget.limitNanos;
}

/**
 * Run-rate forecast: spent × window length ÷ time elapsed, i.e. the rest of the window at the average rate
 * so far. Before any time has elapsed it is the spend itself.
 */
export function forecastNanos(spentNanos: bigint, window: BudgetWindow, now: Date): bigint {
  const length = BigInt(window.end.getTime() - window.start.getTime());
  const elapsed = BigInt(Math.min(window.end.getTime(), now.getTime()) - window.start.getTime());
  if (elapsed <= 0n) return spentNanos;
  return (spentNanos * length) / elapsed;
}

export function scopeStatus(states: readonly BudgetState[], scope: ScopeValues, now: Date): ScopeStatus {
  const covering = states.filter((state) => inScope(state.budget.scope, scope));
  const blocked = covering.filter(isBlocked);
  const blockDimensions = new Set<BudgetDimension>();
  for (const state of states) {
    if (state.budget.mode !== 'block') continue;
    for (const dimension of BUDGET_DIMENSIONS) if (state.budget.scope[dimension] !== undefined) blockDimensions.add(dimension);
  }
  const echoed: BudgetScope = {};
  for (const dimension of BUDGET_DIMENSIONS) {
    const value = scope[dimension];
    if (typeof value === 'string') echoed[dimension] = value;
  }
  return {
    allowed: blocked.length === 0,
    scope: echoed,
    blocked_by: blocked.map(({ budget, window, spend }) => ({
      name: budget.name,
      limit_usd: formatNanos(budget.limitNanos),
      spent_usd: formatNanos(spend.spentNanos),
      until: window.end.toISOString(),
    })),
    budgets: covering.map((state) => reportBudget(state, now)),
    block_dimensions: BUDGET_DIMENSIONS.filter((dimension) => blockDimensions.has(dimension)),
    as_of: now.toISOString(),
  };
}

function share(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}
