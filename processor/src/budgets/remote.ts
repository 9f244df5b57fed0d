import { z } from 'zod';
import { LedgerUnavailableError } from '../reports/errors.js';
import { BUDGET_DIMENSIONS } from './budget.js';
import type { BudgetReport } from './report.js';

export interface BudgetsAnswer {
  as_of: string;
  budgets: BudgetReport[];
}

const money = z.string().regex(/^-?\d+\.\d{9}$/);
const scopeSchema = z.partialRecord(z.enum(BUDGET_DIMENSIONS), z.string());

const budgetReportSchema = z.object({
  name: z.string(),
  scope: scopeSchema,
  period: z.enum(['daily', 'weekly', 'monthly']),
  timezone: z.string(),
  mode: z.enum(['alert', 'block']),
  window_start: z.string(),
  window_end: z.string(),
  limit_usd: money,
  spent_usd: money,
  remaining_usd: money,
  used_share: z.number(),
  forecast_usd: money,
  forecast_exceeds_limit: z.boolean(),
  alert_at: z.array(z.number()),
  thresholds_reached: z.array(z.number()),
  blocked: z.boolean(),
  calls: z.number(),
  unpriced_calls: z.number(),
}) satisfies z.ZodType<BudgetReport>;

const answerSchema = z.object({ as_of: z.string(), budgets: z.array(budgetReportSchema) });

/** `GET /v1/budgets` of a running service, for the CLI when the service holds the DuckDB file. */
export async function fetchBudgets(baseUrl: string): Promise<BudgetsAnswer> {
  const url = new URL('v1/budgets', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new LedgerUnavailableError(`cannot reach the service at ${url.origin} (${cause}); is serve running there? (--url)`);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new LedgerUnavailableError(`${url.origin} answered ${response.status} to GET /v1/budgets`);
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) {
    throw new LedgerUnavailableError(`${url.origin}: not a genai-chargeback budgets answer (${parsed.error.issues[0]?.message ?? 'unexpected shape'})`);
  }
  return parsed.data;
}
