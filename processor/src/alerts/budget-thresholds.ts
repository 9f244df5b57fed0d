import { describeScope, thresholdNanos } from '../budgets/budget.js';
import type { BudgetState } from '../budgets/spend.js';
import { formatUsd } from '../ledger/money.js';
import type { Alert } from './alert.js';

const periodNoun = { daily: 'today', weekly: 'this week', monthly: 'this month' } as const;

/** Every threshold the budget's current spend has reached; the alert center drops those already raised. */
export function thresholdAlerts(state: BudgetState, now: Date): Alert[] {
  const { budget, window, spend } = state;
  const used = Number((spend.spentNanos * 10_000n) / budget.limitNanos) / 10_000;
  return budget.thresholds
    .filter((threshold) => spend.spentNanos >= thresholdNanos(budget.limitNanos, threshold))
    .map((threshold) => {
      const blocks = budget.mode === 'block' && threshold >= 1;
      const percent = `${Math.round(threshold * 1000) / 10}%`;
      return {
        kind: 'budget_threshold' as const,
        subject: budget.name,
        windowStart: window.start,
        windowEnd: window.end,
        threshold,
        observed: used,
        amountNanos: spend.spentNanos,
        referenceNanos: budget.limitNanos,
        message:
          `Budget ${budget.name} (${describeScope(budget.scope)}) reached ${percent} of its $${formatUsd(budget.limitNanos)} ` +
          `${budget.period} limit ${periodNoun[budget.period]}: $${formatUsd(spend.spentNanos)} spent` +
          (blocks ? '; model calls in this scope are now blocked' : ''),
        details: {
          budget: budget.name,
          scope: { ...budget.scope },
          period: budget.period,
          timezone: budget.timeZone,
          mode: budget.mode,
          blocked: blocks,
          unpriced_calls: spend.unpricedCalls,
        },
        raisedAt: now,
      };
    });
}
