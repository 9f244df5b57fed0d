import { Hono } from 'hono';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetGate } from '../../instrumentation/src/budget/gate.js';
import { statusFetcher, type FetchStatus } from '../../instrumentation/src/budget/status-client.js';
import { startFakeProvider } from '../../processor/src/demo/fake-provider.js';
import type { DecodedSpan } from '../../processor/src/otlp/types.js';
import { serve } from '../../processor/src/receiver/http-server.js';
import { callSpan, openBudgets, TestClock } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * processor/src/budgets/README.md, "How far past a block budget spend can go": N processes with C concurrent
 * calls each, calls costing at most c and lasting at least D, status refreshed every R, spans exported every E,
 * status requests taking up to f and ingest up to g:
 *   overspend ≤ c · (N·C + finishes in any E + 2g + starts in any R + 2f) ≤ c · N·C · (3 + (R + 2f + E + 2g) / D)
 */
describe('overspend bound of block budgets', () => {
  it('50 concurrent calls (2 processes × 25) crossing a limit: spend stops within the derived bound', async () => {
    const N = 2;
    const C = 25;
    const R = 100; // status refresh interval, ms
    const E = 50; // span export interval, ms (the batch span processor's delay)
    const D = 20; // provider latency: every call lasts at least this, ms
    const costUsd = 0.01;
    const limitUsd = 5;

    const provider = await startFakeProvider({ models: { 'priced-chat': { input: 5_000, output: 0 } } });
    const harness = await openBudgets(
      {
        budgets: [{ name: 'search-daily', scope: { team: 'search' }, period: 'daily', limit_usd: limitUsd, mode: 'block' }],
        alerts: { spike: { enabled: false }, unallocated: { enabled: false }, unpriced_models: false },
      },
      new TestClock(Date.now()),
    );
    const app = new Hono();
    app.route('/v1/budgets', harness.budgets.routes);
    const http = await serve(app, { port: 0, shutdownGraceMs: 100 });
    cleanups.push(() => provider.close(), () => harness.close(), () => http.close());

    let maxStatusMs = 0;
    let maxIngestMs = 0;
    const processes = Array.from({ length: N }, () => {
      const fetchStatus = statusFetcher(http.url, 1_000);
      const timed: FetchStatus = async (scope) => {
        const started = performance.now();
        try {
          return await fetchStatus(scope);
        } finally {
          maxStatusMs = Math.max(maxStatusMs, performance.now() - started);
        }
      };
      const gate = new BudgetGate({ url: http.url, intervalMs: R, failMode: 'open', timeoutMs: 1_000, fetchStatus: timed });
      gate.start();
      cleanups.push(() => gate.stop());
      return { gate, client: new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 }), buffer: [] as DecodedSpan[] };
    });

    let exporting = true;
    const flush = async (buffer: DecodedSpan[]) => {
      const spans = buffer.splice(0);
      if (spans.length === 0) return;
      const started = performance.now();
      await harness.send(spans);
      maxIngestMs = Math.max(maxIngestMs, performance.now() - started);
    };
    const exporters = processes.map(async ({ buffer }) => {
      while (exporting) {
        await sleep(E);
        await flush(buffer);
      }
      await flush(buffer);
    });

    let admitted = 0;
    let rejected = 0;
    const starts: number[] = [];
    const finishes: number[] = [];
    const worker = async ({ gate, client, buffer }: (typeof processes)[number]) => {
      for (;;) {
        const decision = gate.check({ team: 'search' }, { provider: 'openai', model: 'priced-chat' });
        if (decision.action !== 'proceed') {
          rejected += 1;
          return;
        }
        admitted += 1;
        starts.push(performance.now());
        await sleep(D);
        const response = await client.chat.completions.create({ model: 'priced-chat', messages: [{ role: 'user', content: 'hi' }] });
        if (response.usage?.prompt_tokens !== 5_000) throw new Error('unexpected usage');
        finishes.push(performance.now());
        buffer.push(callSpan({ usd: costUsd, at: new Date().toISOString(), attribution: { team: 'search' } }));
      }
    };
    const started = performance.now();
    await Promise.all(processes.flatMap((p) => Array.from({ length: C }, () => worker(p))));
    const runMs = performance.now() - started;
    exporting = false;
    await Promise.all(exporters);

    const providerCalls = provider.requests.filter((r) => r.status === 200).length;
    const spentUsd = providerCalls * costUsd;
    const overspendUsd = spentUsd - limitUsd;
    const f = maxStatusMs;
    const g = maxIngestMs;
    const worstCaseUsd = costUsd * N * C * (3 + (R + 2 * f + E + 2 * g) / D);
    const atMeasuredRateUsd = costUsd * (N * C + mostWithin(finishes, E + 2 * g) + mostWithin(starts, R + 2 * f));
    const figures = { N, C, R, E, D, limitUsd, providerCalls, overspendUsd, atMeasuredRateUsd, worstCaseUsd, f, g, runMs };
    console.log(JSON.stringify(figures, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v)));

    // Every call the gates let through reached the provider, every worker was stopped by a gate, none after.
    expect(providerCalls).toBe(admitted);
    expect(rejected).toBe(N * C);
    expect(spentUsd).toBeGreaterThan(limitUsd);
    expect(overspendUsd).toBeLessThanOrEqual(atMeasuredRateUsd);
    expect(atMeasuredRateUsd).toBeLessThanOrEqual(worstCaseUsd);
    // The ledger saw exactly what the provider served.
    const budget = (await harness.get('/v1/budgets')).body.budgets[0];
    expect(budget).toMatchObject({ name: 'search-daily', blocked: true, calls: providerCalls });
    expect(Number(budget.spent_usd)).toBeCloseTo(spentUsd, 9);
  });
});

/** The most timestamps (sorted ascending) inside any window of `windowMs`. */
function mostWithin(times: number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last += 1) {
    while ((times[last] ?? 0) - (times[first] ?? 0) > windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
