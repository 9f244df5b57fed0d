import type { BudgetConfig } from '../config/schema.js';
import { dollarsToNanos } from '../ledger/money.js';
import type { BudgetPeriod } from './window.js';

/** The attribution columns a budget can be scoped on (llm_calls columns of the same names). */
export const BUDGET_DIMENSIONS = ['team', 'project', 'feature', 'customer', 'environment'] as const;
export type BudgetDimension = (typeof BUDGET_DIMENSIONS)[number];

/** Each key present must equal the call's value; `{}` covers all spend. */
export type BudgetScope = Partial<Record<BudgetDimension, string>>;

export type BudgetMode = 'alert' | 'block';

export interface Budget {
  name: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  timeZone: string;
  limitNanos: bigint;
  /** Shares of the limit that alert, ascending (0.5, 0.8, 1.0). */
  thresholds: number[];
  mode: BudgetMode;
}

export function budgetsFromConfig(configs: readonly BudgetConfig[]): Budget[] {
  return configs.map((config) => ({
    name: config.name,
    scope: config.scope,
    period: config.period,
    timeZone: config.timezone,
    limitNanos: usdToNanos(config.limit_usd),
    thresholds: [...new Set(config.alert_at)].sort((a, b) => a - b),
    mode: config.mode,
  }));
}

function usdToNanos(usd: number): bigint {
  const nanos = dollarsToNanos(String(usd));
  if (nanos === null) throw new RangeError(`not an amount in USD: ${usd}`);
  return nanos;
}

/** Attribution values of a call or of a status query; null/absent = not set. */
export type ScopeValues = Partial<Record<BudgetDimension, string | null>>;

export function inScope(scope: BudgetScope, values: ScopeValues): boolean {
  for (const dimension of BUDGET_DIMENSIONS) {
    const wanted = scope[dimension];
    if (wanted !== undefined && values[dimension] !== wanted) return false;
  }
  return true;
}

/** `team=search, environment=prod`, or `all spend` for an empty scope. */
export function describeScope(scope: BudgetScope): string {
  const parts = BUDGET_DIMENSIONS.flatMap((dimension) => (scope[dimension] === undefined ? [] : [`${dimension}=${scope[dimension]}`]));
  return parts.length === 0 ? 'all spend' : parts.join(', ');
}

/** The share `threshold` of `limit`, in nanos, rounded up so "80%" never fires a nano early. */
export function thresholdNanos(limitNanos: bigint, threshold: number): bigint {
  const perMillion = BigInt(Math.round(threshold * 1_000_000));
  return (limitNanos * perMillion + 999_999n) / 1_000_000n;
}
