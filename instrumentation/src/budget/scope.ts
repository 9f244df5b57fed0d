import type { Attribution } from '../attribution/keys.js';

/** The attribution fields budgets are scoped on (the processor's budget dimensions, in its query names). */
export const BUDGET_DIMENSIONS = ['team', 'project', 'feature', 'customer', 'environment'] as const;
export type BudgetDimension = (typeof BUDGET_DIMENSIONS)[number];

export type BudgetScope = Partial<Record<BudgetDimension, string>>;

/** The call's attribution reduced to `dimensions`: calls that differ only elsewhere share one status. */
export function projectScope(attribution: Attribution, dimensions: readonly BudgetDimension[]): BudgetScope {
  const scope: BudgetScope = {};
  for (const dimension of dimensions) {
    const value = attribution[dimension];
    if (value !== undefined) scope[dimension] = value;
  }
  return scope;
}

export function scopeKey(scope: BudgetScope): string {
  return JSON.stringify(BUDGET_DIMENSIONS.map((dimension) => scope[dimension] ?? null));
}

export function scopeQuery(scope: BudgetScope): URLSearchParams {
  const query = new URLSearchParams();
  for (const dimension of BUDGET_DIMENSIONS) {
    const value = scope[dimension];
    if (value !== undefined) query.set(dimension, value);
  }
  return query;
}
