import type { LlmCall } from '../ledger/llm-call.js';
import { inScope, type Budget } from './budget.js';
import { windowAfter, windowAt, type BudgetWindow } from './window.js';

/** What a budget's scope spent in one window. Unpriced calls add no cost: `spentNanos` is then a lower bound. */
export interface WindowSpend {
  spentNanos: bigint;
  calls: number;
  unpricedCalls: number;
}

export interface BudgetState {
  budget: Budget;
  window: BudgetWindow;
  spend: WindowSpend;
}

/** Spend of the current window and of the next one (calls stamped a little ahead by a skewed clock). */
export interface LoadedSpend {
  current: WindowSpend;
  next: WindowSpend;
}

interface Tracked {
  budget: Budget;
  window: BudgetWindow;
  nextWindow: BudgetWindow;
  current: WindowSpend;
  next: WindowSpend;
}

const emptySpend = (): WindowSpend => ({ spentNanos: 0n, calls: 0, unpricedCalls: 0 });

/**
 * Each budget's spend in its current window, in memory: loaded from the ledger at start, then advanced by the
 * calls each stored batch added (`inserted`: new rows only, so a retried export never counts twice). A call
 * counts in the window its start time falls in, like the ledger queries, so memory and DuckDB agree.
 */
export class SpendTracker {
  private readonly tracked: Tracked[];

  constructor(budgets: readonly Budget[], loaded: ReadonlyMap<string, LoadedSpend>, now: Date) {
    this.tracked = budgets.map((budget) => {
      const window = windowAt(budget.period, budget.timeZone, now);
      const spend = loaded.get(budget.name);
      return {
        budget,
        window,
        nextWindow: windowAfter(budget.period, budget.timeZone, window),
        current: spend?.current ?? emptySpend(),
        next: spend?.next ?? emptySpend(),
      };
    });
  }

  /** Adds the calls to every budget whose scope they fall in; returns the budgets whose current spend changed. */
  record(calls: readonly LlmCall[], now: Date): Budget[] {
    const changed: Budget[] = [];
    for (const entry of this.tracked) {
      this.roll(entry, now);
      let touched = false;
      for (const call of calls) {
        if (!inScope(entry.budget.scope, call)) continue;
        const at = call.start_time.getTime();
        if (at >= entry.window.start.getTime() && at < entry.window.end.getTime()) {
          add(entry.current, call);
          touched = true;
        } else if (at >= entry.nextWindow.start.getTime() && at < entry.nextWindow.end.getTime()) {
          add(entry.next, call);
        }
      }
      if (touched) changed.push(entry.budget);
    }
    return changed;
  }

  states(now: Date): BudgetState[] {
    return this.tracked.map((entry) => {
      this.roll(entry, now);
      return { budget: entry.budget, window: entry.window, spend: { ...entry.current } };
    });
  }

  /** At a window boundary the next window's early calls become the current spend. */
  private roll(entry: Tracked, now: Date): void {
    if (now.getTime() < entry.window.end.getTime()) return;
    const { period, timeZone } = entry.budget;
    const window = windowAt(period, timeZone, now);
    entry.current = window.start.getTime() === entry.nextWindow.start.getTime() ? entry.next : emptySpend();
    entry.next = emptySpend();
    entry.window = window;
    entry.nextWindow = windowAfter(period, timeZone, window);
  }
}

function add(spend: WindowSpend, call: LlmCall): void {
  spend.calls += 1;
  if (call.cost_nanos === null) spend.unpricedCalls += 1;
  else spend.spentNanos += call.cost_nanos;
}
