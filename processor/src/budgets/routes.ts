import { Hono } from 'hono';
import { BUDGET_DIMENSIONS, type BudgetDimension, type ScopeValues } from './budget.js';
import { reportBudget, scopeStatus } from './report.js';
import type { BudgetState } from './spend.js';

export interface BudgetRoutesDeps {
  /** Every budget's state now (in memory: answering never touches DuckDB). */
  states(now: Date): BudgetState[];
  now: () => Date;
}

/**
 * `GET /` every budget with limit, spent, remaining and forecast; `GET /status?team=…&environment=…` whether a
 * call in that scope may go ahead. Both answer from memory: the instrumentation's gates poll `/status`.
 * The lead mounts this at /v1/budgets.
 */
export function createBudgetRoutes(deps: BudgetRoutesDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const now = deps.now();
    c.header('cache-control', 'no-store');
    return c.json({ as_of: now.toISOString(), budgets: deps.states(now).map((state) => reportBudget(state, now)) });
  });

  app.get('/status', (c) => {
    const parsed = parseScope(c.req.queries());
    if (!parsed.ok) {
      return c.json({ error: { code: 'invalid_parameters', message: parsed.problems.join('; '), problems: parsed.problems } }, 400);
    }
    const now = deps.now();
    c.header('cache-control', 'no-store');
    return c.json(scopeStatus(deps.states(now), parsed.scope, now));
  });

  return app;
}

type ParsedScope = { ok: true; scope: ScopeValues } | { ok: false; problems: string[] };

/** A scope is the call's attribution: each dimension at most once; a dimension left out means "not set". */
function parseScope(query: Record<string, string[]>): ParsedScope {
  const scope: ScopeValues = {};
  const problems: string[] = [];
  for (const [key, values] of Object.entries(query)) {
    if (!(BUDGET_DIMENSIONS as readonly string[]).includes(key)) {
      problems.push(`${key}: not a budget dimension; use ${BUDGET_DIMENSIONS.join(', ')}`);
      continue;
    }
    const value = values.at(-1) ?? '';
    if (values.length > 1) problems.push(`${key}: given ${values.length} times; a call has one ${key}`);
    else if (value.trim() === '') problems.push(`${key}: empty; leave it out for calls without a ${key}`);
    else scope[key as BudgetDimension] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, scope };
}
