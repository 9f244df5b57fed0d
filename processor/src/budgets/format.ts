import { formatUsd, parseScaledDecimal } from '../ledger/money.js';
import { formatTable } from '../reports/format.js';
import { describeScope } from './budget.js';
import type { BudgetsAnswer } from './remote.js';
import { localDateOf, type LocalDate } from './time-zone.js';

export const budgetFormats = ['table', 'json'] as const;
export type BudgetFormat = (typeof budgetFormats)[number];

/** `genai-chargeback budgets` output: an aligned table, or the HTTP API's JSON. */
export function formatBudgets(answer: BudgetsAnswer, format: BudgetFormat): string {
  if (format === 'json') return `${JSON.stringify(answer, null, 2)}\n`;
  const money = { type: 'DECIMAL(18,2)' };
  return formatTable({
    report: 'budgets',
    parameters: {},
    columns: [
      { name: 'budget', type: 'VARCHAR' },
      { name: 'scope', type: 'VARCHAR' },
      { name: 'window', type: 'VARCHAR' },
      { name: 'mode', type: 'VARCHAR' },
      { name: 'limit_usd', ...money },
      { name: 'spent_usd', ...money },
      { name: 'remaining_usd', ...money },
      { name: 'used_pct', type: 'DOUBLE' },
      { name: 'forecast_usd', ...money },
      { name: 'status', type: 'VARCHAR' },
    ],
    rows: answer.budgets.map((budget) => [
      budget.name,
      describeScope(budget.scope),
      `${budget.period} ${windowDays(budget.timezone, budget.window_start, budget.window_end)} ${budget.timezone}`,
      budget.mode,
      usd(budget.limit_usd),
      usd(budget.spent_usd),
      usd(budget.remaining_usd),
      Math.round(budget.used_share * 1000) / 10,
      usd(budget.forecast_usd),
      status(budget),
    ]),
  });
}

function status(budget: BudgetsAnswer['budgets'][number]): string {
  const notes = [budget.blocked ? 'BLOCKED' : budget.used_share >= 1 ? 'over limit' : 'ok'];
  if (budget.used_share < 1 && budget.forecast_exceeds_limit) notes.push('forecast over limit');
  if (budget.unpriced_calls > 0) notes.push(`${budget.unpriced_calls} unpriced calls`);
  return notes.join(', ');
}

function usd(text: string): string {
  return formatUsd(parseScaledDecimal(text, 9) ?? 0n);
}

/** The window's local days, both inclusive: `2026-11-01..2026-11-30`, or one day. */
function windowDays(timeZone: string, startIso: string, endIso: string): string {
  const first = localDay(timeZone, new Date(startIso));
  const last = localDay(timeZone, new Date(Date.parse(endIso) - 1));
  return first === last ? first : `${first}..${last}`;
}

function localDay(timeZone: string, at: Date): string {
  const { year, month, day }: LocalDate = localDateOf(timeZone, at);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
