import { addDays, addMonths, isoWeekday, localDateOf, startOfLocalDay, type LocalDate } from './time-zone.js';

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A budget's window: [start, end) in UTC instants, aligned to local midnights of the budget's time zone. */
export interface BudgetWindow {
  start: Date;
  end: Date;
}

/** Daily: the local day; weekly: the ISO week (Monday to Monday); monthly: the calendar month. */
export function windowAt(period: BudgetPeriod, timeZone: string, at: Date): BudgetWindow {
  const today = localDateOf(timeZone, at);
  const [first, next] = bounds(period, today);
  return { start: startOfLocalDay(timeZone, first), end: startOfLocalDay(timeZone, next) };
}

function bounds(period: BudgetPeriod, today: LocalDate): [LocalDate, LocalDate] {
  if (period === 'daily') return [today, addDays(today, 1)];
  if (period === 'weekly') {
    const monday = addDays(today, -isoWeekday(today));
    return [monday, addDays(monday, 7)];
  }
  const first = { ...today, day: 1 };
  return [first, addMonths(first, 1)];
}

/** The window right after `window`. */
export function windowAfter(period: BudgetPeriod, timeZone: string, window: BudgetWindow): BudgetWindow {
  return windowAt(period, timeZone, window.end);
}
