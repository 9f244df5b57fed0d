import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  BudgetGate,
  BudgetStatusUnavailableError,
  checkBudget,
  FallbackRegistry,
  onBudgetExceeded,
  readBudgetSettings,
  startBudgetGate,
  stopBudgetGate,
  type BudgetDecision,
  type BudgetGateError,
  type BudgetGateOptions,
} from '../../instrumentation/src/budget/index.js';
import { serve, type RunningHttpServer } from '../../processor/src/receiver/http-server.js';
import { callSpan, openBudgets, TestClock, type BudgetHarness } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const config = {
  budgets: [
    { name: 'search-prod-daily', scope: { team: 'search', environment: 'prod' }, period: 'daily', limit_usd: 10, mode: 'block' },
    { name: 'search-monthly', scope: { team: 'search' }, period: 'monthly', limit_usd: 1000 },
  ],
  alerts: { spike: { enabled: false }, unallocated: { enabled: false } },
};

/** A real processor (budgets on a DuckDB ledger) answering over HTTP on 127.0.0.1, counting status requests. */
async function processor(clock = new TestClock(Date.now())): Promise<{ harness: BudgetHarness; http: RunningHttpServer; statusRequests: string[] }> {
  const harness = await openBudgets(config, clock);
  const statusRequests: string[] = [];
  const app = new Hono();
  app.use('*', async (c, next) => {
    statusRequests.push(new URL(c.req.url).search);
    await next();
  });
  app.route('/v1/budgets', harness.budgets.routes);
  const http = await serve(app, { port: 0, shutdownGraceMs: 100 });
  cleanups.push(() => harness.close(), () => http.close());
  return { harness, http, statusRequests };
}

function gate(url: string, options: Partial<BudgetGateOptions> = {}): BudgetGate {
  const g = new BudgetGate({ url, intervalMs: 60_000, failMode: 'open', timeoutMs: 1_000, ...options });
  cleanups.push(() => g.stop());
  return g;
}

const prod = { team: 'search', environment: 'prod' };

describe('budget gate', () => {
  it('refuses calls in a blocked scope with BudgetExceededError naming the budget; other scopes go ahead', async () => {
    const { harness, http, statusRequests } = await processor();
    const g = gate(http.url);
    // First sight of a scope: no status yet, the call goes ahead and the status is fetched in the background.
    expect(g.check(prod)).toEqual({ action: 'proceed' });
    await g.cache.refresh();
    expect(g.check(prod)).toEqual({ action: 'proceed' });

    await harness.send([callSpan({ usd: 10, at: new Date().toISOString(), attribution: prod })]);
    await g.cache.refresh();
    const error = rejection(g.check(prod, { provider: 'openai', model: 'gpt-4.1' }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).budget).toBe('search-prod-daily');
    expect(error.message).toContain('budget "search-prod-daily" reached its limit for team=search, environment=prod');
    expect(g.check({ team: 'search', environment: 'dev' })).toEqual({ action: 'proceed' });
    expect(g.check({ team: 'ads', environment: 'prod' })).toEqual({ action: 'proceed' });
    expect(statusRequests.every((query) => query === '' || query.includes('team='))).toBe(true);
  });

  it('checks without I/O: a thousand calls in a scope make no request; the background refresh makes one per scope', async () => {
    const { http, statusRequests } = await processor();
    // The processor's block budgets use team and environment only: customers share one status.
    const g = gate(http.url);
    g.check({ ...prod, customer: 'acme' });
    await g.cache.refresh();
    statusRequests.length = 0;
    const started = performance.now();
    for (let i = 0; i < 1000; i += 1) g.check({ ...prod, customer: `customer-${i % 50}` });
    const elapsedMs = performance.now() - started;
    expect(statusRequests).toEqual([]);
    expect(elapsedMs).toBeLessThan(200);
    await g.cache.refresh();
    expect(statusRequests).toEqual(['?team=search&environment=prod']);
  });

  it('lets the app fall back to another model or a cached answer instead of the error', async () => {
    const registry = new FallbackRegistry();
    const blocked = { allowed: false, blockedBy: [{ name: 'search-prod-daily', until: new Date(Date.now() + 60_000) }], blockDimensions: ['team' as const] };
    const g = gate('http://127.0.0.1:9', { fallbacks: registry, fetchStatus: async () => blocked });
    g.check(prod);
    await g.cache.refresh();

    const seen: unknown[] = [];
    const off = registry.add((rejection) => {
      seen.push({ budget: (rejection.error as BudgetExceededError).budget, model: rejection.model, team: rejection.attribution.team });
      return rejection.model === 'gpt-4.1' ? { model: 'gpt-4.1-mini' } : undefined;
    });
    registry.add(() => {
      throw new Error('a broken handler');
    });
    registry.add((rejection) => (rejection.operation === 'embeddings' ? { response: { cached: true } } : undefined));

    expect(g.check(prod, { model: 'gpt-4.1' })).toMatchObject({ action: 'use-model', model: 'gpt-4.1-mini' });
    expect(g.check(prod, { model: 'text-embedding-3-small', operation: 'embeddings' })).toMatchObject({ action: 'respond', response: { cached: true } });
    expect(g.check(prod, { model: 'o3' }).action).toBe('reject');
    expect(seen).toEqual([
      { budget: 'search-prod-daily', model: 'gpt-4.1', team: 'search' },
      { budget: 'search-prod-daily', model: 'text-embedding-3-small', team: 'search' },
      { budget: 'search-prod-daily', model: 'o3', team: 'search' },
    ]);
    off();
    expect(g.check(prod, { model: 'gpt-4.1' }).action).toBe('reject');
  });

  it('fails open by default and closed when configured when the processor is unreachable, and says so in the diagnostics log', async () => {
    const closedPort = await freePort();
    const messages: string[] = [];
    const logger: DiagLogger = {
      error: (m) => messages.push(m),
      warn: (m) => messages.push(m),
      info: (m) => messages.push(m),
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.INFO);
    cleanups.push(() => diag.disable());
    const url = `http://127.0.0.1:${closedPort}`;

    const open = gate(url, { failMode: 'open' });
    open.check(prod);
    await open.cache.refresh();
    expect(open.check(prod)).toEqual({ action: 'proceed' });
    expect(messages.some((m) => m.includes(`budget status from ${url} unavailable`) && m.includes('failing open'))).toBe(true);

    const closed = gate(url, { failMode: 'closed' });
    expect(closed.check(prod)).toEqual({ action: 'proceed' });
    await closed.cache.refresh();
    expect(rejection(closed.check(prod))).toBeInstanceOf(BudgetStatusUnavailableError);
    // Once the processor is known to be down, a scope never seen before is refused too.
    expect(closed.check({ team: 'ads' }).action).toBe('reject');
    expect(messages.some((m) => m.includes('failing closed: model calls are refused with BudgetStatusUnavailableError'))).toBe(true);
  });

  it('keeps the last status through short outages, then applies the fail mode; a block lifts at its window end', async () => {
    let now = Date.parse('2026-11-16T10:00:00Z');
    let answer: () => Promise<{ allowed: boolean; blockedBy: { name: string; until: Date }[]; blockDimensions: ('team' | 'environment')[] }> = async () => ({
      allowed: false,
      blockedBy: [{ name: 'search-prod-daily', until: new Date('2026-11-17T00:00:00Z') }],
      blockDimensions: ['team', 'environment'],
    });
    const g = gate('http://127.0.0.1:9', { intervalMs: 1_000, failMode: 'open', fetchStatus: () => answer(), cache: { now: () => now } });
    g.check(prod);
    await g.cache.refresh();
    expect(g.check(prod).action).toBe('reject');

    answer = () => Promise.reject(new Error('connect ECONNREFUSED'));
    now += 2_000;
    await g.cache.refresh();
    expect(g.check(prod).action).toBe('reject');
    now += 1_500; // the status is now older than 3 intervals
    expect(g.check(prod)).toEqual({ action: 'proceed' });

    answer = async () => ({ allowed: false, blockedBy: [{ name: 'search-prod-daily', until: new Date('2026-11-17T00:00:00Z') }], blockDimensions: ['team', 'environment'] });
    await g.cache.refresh();
    expect(g.check(prod).action).toBe('reject');
    now = Date.parse('2026-11-17T00:00:00Z');
    expect(g.check(prod)).toEqual({ action: 'proceed' });
  });

  it('stops polling a scope left idle but keeps its status: a blocked scope is still refused when used again', async () => {
    let now = Date.parse('2026-11-16T10:00:00Z');
    const asked: string[] = [];
    const blocked = { allowed: false, blockedBy: [{ name: 'search-prod-daily', until: new Date('2026-11-17T00:00:00Z') }], blockDimensions: ['team' as const] };
    const g = gate('http://127.0.0.1:9', {
      intervalMs: 100,
      fetchStatus: async (scope) => {
        asked.push(JSON.stringify(scope));
        return blocked;
      },
      cache: { now: () => now, idleAfterMs: 1_000 },
    });
    g.check(prod);
    await g.cache.refresh();
    expect(asked).toEqual([JSON.stringify(prod)]);
    now += 5_000;
    await g.cache.refresh();
    expect(asked).toHaveLength(1);
    expect(g.check(prod).action).toBe('reject');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Used again: fetched at once, under the processor's block dimensions.
    expect(asked).toEqual([JSON.stringify(prod), JSON.stringify({ team: 'search' })]);
  });

  it('runs as the process-wide gate from GENAI_CHARGEBACK_BUDGET_* and reports bad settings', async () => {
    expect(readBudgetSettings({ GENAI_CHARGEBACK_BUDGET_URL: 'ftp://x', GENAI_CHARGEBACK_BUDGET_INTERVAL_MS: '5', GENAI_CHARGEBACK_BUDGET_FAIL_MODE: 'shut' })).toEqual({
      settings: { url: undefined, intervalMs: 5_000, failMode: 'open', timeoutMs: 2_000 },
      problems: [
        'GENAI_CHARGEBACK_BUDGET_URL="ftp://x" is not valid; use the processor address, e.g. http://genai-chargeback:4318. The budget gate is off.',
        'GENAI_CHARGEBACK_BUDGET_INTERVAL_MS="5" is not valid; use milliseconds from 100, e.g. 5000. Using the default.',
        'GENAI_CHARGEBACK_BUDGET_FAIL_MODE="shut" is not valid; use open or closed. Using the default.',
      ],
    });
    expect(startBudgetGate({ env: {} }).gate).toBeUndefined();
    expect(checkBudget(prod)).toEqual({ action: 'proceed' });

    const { harness, http } = await processor();
    await harness.send([callSpan({ usd: 10, at: new Date().toISOString(), attribution: prod })]);
    const off = onBudgetExceeded(() => ({ model: 'cheap' }));
    cleanups.push(off, stopBudgetGate);
    const { gate: running } = startBudgetGate({ env: { GENAI_CHARGEBACK_BUDGET_URL: http.url, GENAI_CHARGEBACK_BUDGET_INTERVAL_MS: '100' }, defaults: { environment: 'prod' } });
    expect(checkBudget({ team: 'search' })).toEqual({ action: 'proceed' });
    await running?.cache.refresh();
    // The process default (environment=prod, e.g. from the resource) completes the scope.
    expect(checkBudget({ team: 'search' })).toMatchObject({ action: 'use-model', model: 'cheap' });
  });
});

function rejection(decision: BudgetDecision): BudgetGateError {
  if (decision.action !== 'reject') throw new Error(`expected a rejection, got ${decision.action}`);
  return decision.error;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server: Server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
