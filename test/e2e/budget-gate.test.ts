/**
 * Issue 6 end to end, every part a real process or server on 127.0.0.1: the processor (`genai-chargeback serve`,
 * restarted on the same DuckDB file), an app under the instrumentation preload calling the fake provider with the
 * real `openai` client and the budget gate on, and a webhook receiver.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../processor/src/demo/fake-provider.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { startWebhookReceiver } from '../alerts/webhook-receiver.js';
import { startTestCollector } from '../support/otlp-collector.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { startApp, type InstrumentedApp } from './instrumented-app.js';
import { costNanos, usd } from './list-price.js';

const TIME_ZONE = 'Europe/Berlin';
/** What the fake provider reports for every gpt-4.1 call the app makes. */
const CALL_USAGE = { input: 100_000, output: 12_500 };

const dir = mkdtempSync(join(tmpdir(), 'gc-budget-e2e-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The zone's UTC offset at `at`, in ms (computed here with Intl, independently of the processor's time-zone code). */
function zoneOffsetMs(timeZone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (match === null) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}

/** The calendar month containing `at` in the zone, as UTC instants of its local midnights. */
function monthIn(timeZone: string, at: Date): { start: Date; end: Date } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric' }).formatToParts(at);
  const year = Number(parts.find((p) => p.type === 'year')?.value);
  const month = Number(parts.find((p) => p.type === 'month')?.value);
  const midnight = (monthIndex: number) => {
    const wall = Date.UTC(year, monthIndex, 1);
    return new Date(wall - zoneOffsetMs(timeZone, wall - zoneOffsetMs(timeZone, wall)));
  };
  return { start: midnight(month - 1), end: midnight(month) };
}

/** Spans another exporter sends late (a batch job's, a backfill): crafted start times, sent with the real OTLP exporter. */
async function sendCalls(processor: ProcessorProcess, calls: Array<{ at: Date; input: number; team: string }>): Promise<void> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'nightly-batch' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('e2e');
  for (const call of calls) {
    const attributes = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.usage.input_tokens': call.input,
      'gen_ai.usage.output_tokens': 0,
      'chargeback.team': call.team,
    };
    tracer.startSpan('chat gpt-4.1', { kind: SpanKind.CLIENT, startTime: call.at, attributes }).end(new Date(call.at.getTime() + 2_000));
  }
  const exporter = new OTLPTraceExporter({ url: `${processor.httpUrl}/v1/traces` });
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(memory.getFinishedSpans(), resolve));
  await exporter.shutdown();
  expect(result.error).toBeUndefined();
  expect(result.code).toBe(ExportResultCode.SUCCESS);
}

interface BudgetReport {
  name: string;
  window_start: string;
  window_end: string;
  spent_usd: string;
  calls: number;
  blocked: boolean;
  thresholds_reached: number[];
}

async function searchBudget(processor: ProcessorProcess): Promise<BudgetReport> {
  const response = await fetch(`${processor.httpUrl}/v1/budgets`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { budgets: BudgetReport[] };
  const budget = body.budgets.find((b) => b.name === 'search-monthly');
  if (budget === undefined) throw new Error(`no search-monthly budget in ${JSON.stringify(body)}`);
  return budget;
}

/** Once the processor has counted `calls` calls in the budget's current window. */
const budgetAfter = (processor: ProcessorProcess, calls: number) =>
  waitFor(`search-monthly to count ${calls} calls`, async () => {
    const budget = await searchBudget(processor);
    return budget.calls >= calls ? budget : undefined;
  });

function providerCalls(fake: FakeProvider, team: string): number {
  return fake.requests.filter((request) => request.headers['x-test-team'] === team).length;
}

describe('budget, alerts and the gate with real processes', () => {
  it('alerts at 50/80/100% once (also across a restart), blocks the team at the gate, leaves another team alone, and counts spend in the month of the budget time zone', async () => {
    const hooks = await startWebhookReceiver();
    cleanups.push(hooks.close);
    const fake = await startFakeProvider({ models: { 'gpt-4.1': CALL_USAGE } });
    cleanups.push(fake.close);
    const configPath = join(dir, 'config.yaml');
    writeFileSync(
      configPath,
      [
        'rollup: { wait: 300ms }',
        'budgets:',
        `  - { name: search-monthly, scope: { team: search }, period: monthly, timezone: ${TIME_ZONE}, limit_usd: 1, mode: block }`,
        'alerts:',
        '  webhooks:',
        `    - { url: "${hooks.url}/generic" }`,
        `    - { url: "${hooks.url}/slack", format: slack }`,
        '',
      ].join('\n'),
    );
    const dbPath = join(dir, 'ledger.duckdb');
    let processor = await startProcessor({ dbPath, args: ['--config', configPath] });
    cleanups.push(() => processor.stop('SIGKILL'));

    // gpt-4.1 at list price: 100k in + 12.5k out = $0.30 a call; the crafted calls have no output.
    const perCall = costNanos('openai', 'gpt-4.1', CALL_USAGE);
    expect(usd(perCall)).toBe('0.300000000');
    const craftedUsd = (input: number) => costNanos('openai', 'gpt-4.1', { input });

    // The month boundary in Berlin, not UTC: 30 s before this month's local midnight is last month (a $1.20 call
    // that alone would exceed the limit), 30 s after is this month ($0.20), though both are the same UTC day.
    const month = monthIn(TIME_ZONE, new Date());
    await sendCalls(processor, [
      { at: new Date(month.start.getTime() - 30_000), input: 600_000, team: 'search' },
      { at: new Date(month.start.getTime() + 30_000), input: 100_000, team: 'search' },
    ]);
    expect(await budgetAfter(processor, 1)).toMatchObject({
      window_start: month.start.toISOString(),
      window_end: month.end.toISOString(),
      spent_usd: usd(craftedUsd(100_000)),
      calls: 1,
      blocked: false,
      thresholds_reached: [],
    });

    const app = startApp('budget-client.mjs', {
      FAKE_URL: fake.url,
      OTEL_SERVICE_NAME: 'support-bot',
      OTEL_EXPORTER_OTLP_ENDPOINT: processor.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      GENAI_CHARGEBACK_BUDGET_URL: processor.httpUrl,
      GENAI_CHARGEBACK_BUDGET_INTERVAL_MS: '200',
    });
    cleanups.push(() => app.kill());

    // $0.20 + 1, 2, 3 calls of $0.30 = $0.50, $0.80, $1.10: each call crosses one threshold.
    const spentAfter: string[] = [];
    for (let call = 1; call <= 3; call++) {
      expect(await app.request({ op: 'call', team: 'search' })).toMatchObject({ ok: true });
      spentAfter.push((await budgetAfter(processor, 1 + call)).spent_usd);
    }
    const expectedSpent = [1n, 2n, 3n].map((calls) => usd(craftedUsd(100_000) + calls * perCall));
    expect(spentAfter).toEqual(expectedSpent);
    expect(expectedSpent).toEqual(['0.500000000', '0.800000000', '1.100000000']);

    // Exactly three alerts, to both webhooks, with the budget's figures.
    await waitFor('three alerts on each webhook', () => (hooks.delivered('/generic').length >= 3 && hooks.delivered('/slack').length >= 3 ? true : undefined));
    const windowStart = month.start.toISOString();
    const generic = hooks.delivered('/generic');
    expect(generic.map((a) => [a.kind, a.subject, a.threshold, a.observed, a.amount_usd, a.reference_usd, a.window_start, a.window_end])).toEqual([
      ['budget_threshold', 'search-monthly', 0.5, 0.5, expectedSpent[0], '1.000000000', windowStart, month.end.toISOString()],
      ['budget_threshold', 'search-monthly', 0.8, 0.8, expectedSpent[1], '1.000000000', windowStart, month.end.toISOString()],
      ['budget_threshold', 'search-monthly', 1, 1.1, expectedSpent[2], '1.000000000', windowStart, month.end.toISOString()],
    ]);
    expect(generic[2]).toMatchObject({
      source: 'genai-chargeback',
      id: `budget_threshold|search-monthly|${windowStart}|1`,
      details: { budget: 'search-monthly', scope: { team: 'search' }, period: 'monthly', timezone: TIME_ZONE, mode: 'block', blocked: true },
    });
    const slack = (share: string, spent: string, blocked = '') =>
      `:rotating_light: *genai-chargeback* Budget search-monthly (team=search) reached ${share} of its $1.00 monthly limit this month: $${spent} spent${blocked}`;
    expect(hooks.delivered('/slack').map((body) => body.text)).toEqual([
      slack('50%', '0.50'),
      slack('80%', '0.80'),
      slack('100%', '1.10', '; model calls in this scope are now blocked'),
    ]);

    // Blocked: once the gate's cached status says so, the next search call fails before it reaches the provider.
    expect(await app.request({ op: 'wait-blocked', team: 'search' })).toEqual({ blocked: true });
    expect(providerCalls(fake, 'search')).toBe(3);
    const refused = await app.request({ op: 'call', team: 'search' });
    expect(refused).toEqual({
      ok: false,
      error: {
        name: 'BudgetExceededError',
        budget: 'search-monthly',
        until: month.end.toISOString(),
        message: `model call refused: budget "search-monthly" reached its limit for team=search; calls are allowed again from ${month.end.toISOString()}`,
      },
    });
    expect(providerCalls(fake, 'search')).toBe(3);
    // Another team is not affected.
    expect(await app.request({ op: 'call', team: 'ads' })).toMatchObject({ ok: true });
    expect(providerCalls(fake, 'ads')).toBe(1);

    // Restart on the same DuckDB file and port (the app keeps running): the spend comes back from the ledger.
    const port = new URL(processor.httpUrl).port;
    expect(await processor.stop()).toBe(0);
    processor = await startProcessor({ dbPath, args: ['--config', configPath, '--http-port', port] });
    expect(processor.httpUrl).toBe(`http://127.0.0.1:${port}`);
    expect(await searchBudget(processor)).toMatchObject({ spent_usd: expectedSpent[2], calls: 4, blocked: true, thresholds_reached: [0.5, 0.8, 1] });
    // More spend in the same window after the restart (a call exported late) re-evaluates the thresholds: none repeats.
    await sendCalls(processor, [{ at: new Date(Date.now() - 60_000), input: 100_000, team: 'search' }]);
    expect((await budgetAfter(processor, 5)).spent_usd).toBe(usd(craftedUsd(100_000) * 2n + 3n * perCall));
    expect(await app.request({ op: 'wait-blocked', team: 'search' })).toEqual({ blocked: true });
    expect(await app.request({ op: 'call', team: 'search' })).toMatchObject({ ok: false, error: { name: 'BudgetExceededError', budget: 'search-monthly' } });
    expect(await app.request({ op: 'call', team: 'ads' })).toMatchObject({ ok: true });
    expect([providerCalls(fake, 'search'), providerCalls(fake, 'ads')]).toEqual([3, 2]);
    await sleep(300);
    expect(hooks.received).toHaveLength(6);
    expect(processor.logs.filter((line) => String(line.msg).startsWith('alert:'))).toEqual([]);

    expect(await app.end()).toBe(0);
    expect(await processor.stop()).toBe(0);
    const db = await openDatabase(dbPath);
    try {
      const calls = (
        await db.connection.runAndReadAll(
          `SELECT service_name, team, count(*)::INTEGER AS calls, sum(cost_usd)::VARCHAR AS cost FROM llm_calls GROUP BY ALL ORDER BY service_name, team`,
        )
      ).getRowObjectsJS();
      // The refused calls left no trace in the ledger: they never started a span.
      expect(calls).toEqual([
        { service_name: 'nightly-batch', team: 'search', calls: 3, cost: usd(craftedUsd(600_000) + 2n * craftedUsd(100_000)) },
        { service_name: 'support-bot', team: 'ads', calls: 2, cost: usd(2n * perCall) },
        { service_name: 'support-bot', team: 'search', calls: 3, cost: usd(3n * perCall) },
      ]);
      const alerts = (await db.connection.runAndReadAll(`SELECT kind, subject, threshold, delivery FROM alerts ORDER BY threshold`)).getRowObjectsJS();
      expect(alerts).toEqual([
        { kind: 'budget_threshold', subject: 'search-monthly', threshold: 0.5, delivery: 'delivered' },
        { kind: 'budget_threshold', subject: 'search-monthly', threshold: 0.8, delivery: 'delivered' },
        { kind: 'budget_threshold', subject: 'search-monthly', threshold: 1, delivery: 'delivered' },
      ]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it("does not trace the gate's own status requests: the app exports only its model calls", async () => {
    const collector = await startTestCollector();
    cleanups.push(collector.close);
    const fake = await startFakeProvider();
    cleanups.push(fake.close);
    const statusRequests: string[] = [];
    const status = createServer((req, res) => {
      statusRequests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allowed: true, blocked_by: [], block_dimensions: ['team'] }));
    });
    await new Promise<void>((resolve) => status.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => status.close(resolve)));

    const app = startApp('budget-client.mjs', {
      FAKE_URL: fake.url,
      OTEL_SERVICE_NAME: 'support-bot',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      GENAI_CHARGEBACK_BUDGET_URL: `http://127.0.0.1:${(status.address() as AddressInfo).port}`,
      GENAI_CHARGEBACK_BUDGET_INTERVAL_MS: '100',
    });
    cleanups.push(() => app.kill());
    expect(await app.request({ op: 'call', team: 'search' })).toMatchObject({ ok: true });
    await waitFor('three status refreshes', () => (statusRequests.length >= 3 ? true : undefined));
    expect(await app.request({ op: 'call', team: 'search' })).toMatchObject({ ok: true });
    expect(await app.end()).toBe(0);
    expect(statusRequests.every((url) => url === '/v1/budgets/status?team=search' || url === '/v1/budgets/status?team=search&project=support-bot')).toBe(true);
    expect(collector.spans.map((span) => span.name)).toEqual(['chat gpt-4.1', 'chat gpt-4.1']);
  }, 30_000);
});
