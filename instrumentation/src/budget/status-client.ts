import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { z } from 'zod';
import { BUDGET_DIMENSIONS, scopeQuery, type BudgetDimension, type BudgetScope } from './scope.js';

/** What the gate needs from `GET /v1/budgets/status`. */
export interface ScopeStatus {
  allowed: boolean;
  blockedBy: { name: string; until: Date }[];
  /** Dimensions the processor's `block` budgets use. */
  blockDimensions: BudgetDimension[];
}

export type FetchStatus = (scope: BudgetScope) => Promise<ScopeStatus>;

/** The status request failed: unreachable, timed out, or not a status answer. */
export class BudgetStatusError extends Error {
  override name = 'BudgetStatusError';
}

const answerSchema = z.object({
  allowed: z.boolean(),
  blocked_by: z.array(z.object({ name: z.string(), until: z.iso.datetime({ offset: true }) })),
  block_dimensions: z.array(z.enum(BUDGET_DIMENSIONS)),
});

/** `GET {url}/v1/budgets/status?team=…` with a timeout, and the bearer token when the processor wants one. */
export function statusFetcher(baseUrl: string, timeoutMs: number, token?: string): FetchStatus {
  const endpoint = new URL('v1/budgets/status', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return async (scope) => {
    const url = new URL(endpoint);
    url.search = scopeQuery(scope).toString();
    let response: Response;
    try {
      // The gate's own polling is not the app's work: traced, every refresh would export an HTTP client span.
      response = await context.with(suppressTracing(context.active()), () =>
        fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }),
      );
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
      throw new BudgetStatusError(cause);
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new BudgetStatusError(`HTTP ${response.status}`);
    const parsed = answerSchema.safeParse(body);
    if (!parsed.success) throw new BudgetStatusError(`not a budget status answer: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`);
    return {
      allowed: parsed.data.allowed,
      blockedBy: parsed.data.blocked_by.map((b) => ({ name: b.name, until: new Date(b.until) })),
      blockDimensions: parsed.data.block_dimensions,
    };
  };
}
