import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { webhookLabel } from '../../processor/src/alerts/webhook-sender.js';
import { callSpan, openBudgets, TestClock, type BudgetHarness } from '../budgets/harness.js';
import { startWebhookReceiver } from './webhook-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'gc-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver() {
  const r = await startWebhookReceiver();
  cleanups.push(r.close);
  return r;
}

async function processor(config: Record<string, unknown>, clock: TestClock, path?: string, stopGraceMs?: number): Promise<BudgetHarness> {
  const h = await openBudgets(config, clock, path, stopGraceMs);
  cleanups.push(() => h.close());
  return h;
}

const fastDelivery = { attempts: 4, backoff: 10, max_backoff: 50, timeout: 2_000 };
const quiet = { spike: { enabled: false }, unallocated: { enabled: false } };
const search = { team: 'search' };

async function alertRows(h: BudgetHarness) {
  return h.ledger.query(`SELECT kind, subject, strftime(window_start, '%Y-%m-%dT%H:%M:%SZ') AS window_start, threshold, observed,
    amount_usd::VARCHAR AS amount, reference_usd::VARCHAR AS reference, delivery, delivery_attempts, delivery_error
    FROM alerts ORDER BY raised_at, kind, threshold`);
}

describe('budget threshold alerts', () => {
  it('crosses 50/80/100% of a monthly team budget: exactly three alerts, none repeated after a restart, a new month starts over', async () => {
    const hooks = await receiver();
    const path = join(dir, 'thresholds.duckdb');
    const config = {
      budgets: [{ name: 'search-monthly', scope: search, period: 'monthly', timezone: 'Europe/Berlin', limit_usd: 100, mode: 'block' }],
      alerts: { ...quiet, webhooks: [{ url: `${hooks.url}/generic` }, { url: `${hooks.url}/slack`, format: 'slack' }], delivery: fastDelivery },
    };
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const first = await openBudgets(config, clock, path);
    for (const usd of [30, 25, 30, 20, 5]) await first.send([callSpan({ usd, at: '2026-11-20T11:00:00Z', attribution: search })]);
    await first.budgets.alerts.idle();

    const generic = hooks.delivered('/generic');
    expect(generic.map((a) => [a.kind, a.subject, a.threshold, a.amount_usd, a.window_start])).toEqual([
      ['budget_threshold', 'search-monthly', 0.5, '55.000000000', '2026-10-31T23:00:00.000Z'],
      ['budget_threshold', 'search-monthly', 0.8, '85.000000000', '2026-10-31T23:00:00.000Z'],
      ['budget_threshold', 'search-monthly', 1, '105.000000000', '2026-10-31T23:00:00.000Z'],
    ]);
    expect(generic[2]).toMatchObject({
      source: 'genai-chargeback',
      id: 'budget_threshold|search-monthly|2026-10-31T23:00:00.000Z|1',
      reference_usd: '100.000000000',
      observed: 1.05,
      window_end: '2026-11-30T23:00:00.000Z',
      details: { budget: 'search-monthly', scope: search, mode: 'block', blocked: true, timezone: 'Europe/Berlin' },
      message: 'Budget search-monthly (team=search) reached 100% of its $100.00 monthly limit this month: $105.00 spent; model calls in this scope are now blocked',
    });
    expect(hooks.delivered('/slack')).toEqual([
      { text: ':rotating_light: *genai-chargeback* Budget search-monthly (team=search) reached 50% of its $100.00 monthly limit this month: $55.00 spent' },
      { text: ':rotating_light: *genai-chargeback* Budget search-monthly (team=search) reached 80% of its $100.00 monthly limit this month: $85.00 spent' },
      {
        text: ':rotating_light: *genai-chargeback* Budget search-monthly (team=search) reached 100% of its $100.00 monthly limit this month: $105.00 spent; model calls in this scope are now blocked',
      },
    ]);
    const rows = await alertRows(first);
    expect(rows.map((r) => [r.threshold, r.delivery, r.delivery_attempts])).toEqual([
      [0.5, 'delivered', 2],
      [0.8, 'delivered', 2],
      [1, 'delivered', 2],
    ]);
    await first.close();

    // Restart: the spend (110 of 100) comes back from DuckDB, the alerts table says all three fired.
    const second = await processor(config, clock, path);
    await second.send([callSpan({ usd: 1, at: '2026-11-20T11:30:00Z', attribution: search })]);
    await second.budgets.check();
    await second.budgets.alerts.idle();
    expect(hooks.received).toHaveLength(6);
    expect(await alertRows(second)).toHaveLength(3);

    // December in Berlin: a new window, so 50% alerts again.
    clock.set('2026-11-30T23:00:00Z');
    await second.send([callSpan({ usd: 50, at: '2026-11-30T23:00:00Z', attribution: search })]);
    await second.budgets.alerts.idle();
    expect(hooks.delivered('/generic').slice(3).map((a) => [a.threshold, a.window_start, a.amount_usd])).toEqual([[0.5, '2026-11-30T23:00:00.000Z', '50.000000000']]);
  });
});

describe('alerts over a billion dollars', () => {
  it('stores one with a NULL amount (its figure in the message) and every alert raised with it', async () => {
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const budgets = ['whale', 'ads'].map((team) => ({ name: `${team}-daily`, scope: { team }, period: 'daily', limit_usd: 10, alert_at: [1] }));
    const h = await processor({ budgets, alerts: quiet }, clock);
    // Two calls of $600 million each fit llm_calls; their day's sum does not fit DECIMAL(18, 9).
    await h.send([
      callSpan({ usd: 6e8, at: '2026-11-20T11:00:00Z', attribution: { team: 'whale' } }),
      callSpan({ usd: 6e8, at: '2026-11-20T11:00:01Z', attribution: { team: 'whale' } }),
      callSpan({ usd: 10, at: '2026-11-20T11:00:02Z', attribution: { team: 'ads' } }),
    ]);
    await h.budgets.alerts.idle();
    const rows = await h.ledger.query(`SELECT subject, amount_usd::VARCHAR AS amount, message FROM alerts ORDER BY subject`);
    expect(rows).toMatchObject([
      { subject: 'ads-daily', amount: '10.000000000' },
      { subject: 'whale-daily', amount: null, message: expect.stringContaining('$1200000000.00 spent') },
    ]);
  });
});

describe('webhook delivery', () => {
  it('retries a webhook that answers 500 then 200, gives up at once on 400, and records both in the alerts table', async () => {
    const hooks = await receiver();
    hooks.respond('/flaky', [500, 500]);
    hooks.respond('/wrong', [400]);
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const h = await processor(
      {
        budgets: [{ name: 'ads-daily', scope: { team: 'ads' }, period: 'daily', limit_usd: 10, alert_at: [1] }],
        alerts: { ...quiet, webhooks: [{ url: `${hooks.url}/flaky`, headers: { authorization: 'Bearer t0ken' } }, { url: `${hooks.url}/wrong` }], delivery: fastDelivery },
      },
      clock,
    );
    await h.send([callSpan({ usd: 10, at: '2026-11-20T11:00:00Z', attribution: { team: 'ads' } })]);
    await h.budgets.alerts.idle();
    expect(hooks.received.map((r) => [r.path, r.status])).toEqual(
      expect.arrayContaining([
        ['/flaky', 500],
        ['/flaky', 500],
        ['/flaky', 200],
        ['/wrong', 400],
      ]),
    );
    expect(hooks.received).toHaveLength(4);
    expect(hooks.received.find((r) => r.path === '/flaky')?.headers.authorization).toBe('Bearer t0ken');
    expect(await alertRows(h)).toEqual([
      expect.objectContaining({ kind: 'budget_threshold', subject: 'ads-daily', delivery: 'failed', delivery_attempts: 4, delivery_error: `alerts.webhooks[1] (${hooks.url}): HTTP 400` }),
    ]);
  });

  it('names a webhook in logs and the alerts table by its place in the config and its host, never its secret path', () => {
    expect(webhookLabel('https://hooks.slack.com/services/T000/B000/XXXXsecret?x=1', 2)).toBe('alerts.webhooks[2] (https://hooks.slack.com)');
  });

  it('a webhook that is down never slows ingest; what was not sent before a stop is sent at the next start', async () => {
    const hooks = await receiver();
    hooks.hang('/down');
    const path = join(dir, 'down.duckdb');
    const config = {
      budgets: [{ name: 'ads-daily', scope: { team: 'ads' }, period: 'daily', limit_usd: 10 }],
      alerts: { ...quiet, webhooks: [{ url: `${hooks.url}/down` }], delivery: { ...fastDelivery, timeout: 30_000 } },
    };
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const first = await openBudgets(config, clock, path, 50);

    const batch = { spans: null, traceRuns: [], repeated: [], calls: [], context: { transport: 'http' as const, requestId: 't' } };
    const started = performance.now();
    for (let i = 0; i < 100; i += 1) {
      first.budgets.listener.onStored({ ...batch, inserted: [rowOf({ usd: 1, team: 'ads', model: `mystery-${i}` })] });
    }
    const perBatchMs = (performance.now() - started) / 100;
    // 100 batches, each raising alerts (thresholds, a new unpriced model) for a webhook that never answers.
    expect(perBatchMs).toBeLessThan(5);
    expect(first.budgets.alerts.raise([])).toEqual([]);
    await first.close();
    const pending = await (async () => {
      const reopened = await openBudgets({ ...config, alerts: { ...config.alerts, webhooks: [] } }, clock, path);
      const rows = await alertRows(reopened);
      await reopened.close();
      return rows;
    })();
    expect(pending.filter((r) => r.kind === 'budget_threshold').map((r) => [r.threshold, r.delivery])).toEqual([
      [0.5, 'pending'],
      [0.8, 'pending'],
      [1, 'pending'],
    ]);

    const second = await processor({ ...config, alerts: { ...config.alerts, webhooks: [{ url: `${hooks.url}/up` }] } }, clock, path);
    await second.budgets.alerts.idle();
    expect(hooks.delivered('/up').filter((a) => a.kind === 'budget_threshold').map((a) => a.threshold)).toEqual([0.5, 0.8, 1]);
    expect((await alertRows(second)).every((r) => r.delivery === 'delivered')).toBe(true);
  });
});

describe('other alerts', () => {
  it('spend spike: last hour above 2× the trailing 7-day hourly average, once per team per block', async () => {
    const hooks = await receiver();
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const h = await processor(
      { alerts: { unallocated: { enabled: false }, spike: { min_usd: 1 }, webhooks: [{ url: `${hooks.url}/a` }], delivery: fastDelivery } },
      clock,
    );
    // $168 over the trailing week = $1 an hour on average, for both teams.
    await h.send([
      callSpan({ usd: 168, at: '2026-11-15T08:00:00Z', attribution: { team: 'search' } }),
      callSpan({ usd: 168, at: '2026-11-16T08:00:00Z', attribution: { team: 'ads' } }),
      // Older than the trailing week: not in the average.
      callSpan({ usd: 500, at: '2026-11-13T10:00:00Z', attribution: { team: 'ads' } }),
    ]);
    await h.send([
      callSpan({ usd: 2.5, at: '2026-11-20T11:10:00Z', attribution: { team: 'search' } }),
      callSpan({ usd: 2, at: '2026-11-20T11:20:00Z', attribution: { team: 'ads' } }),
      // Spend of a new team with no history, under min_usd: quiet.
      callSpan({ usd: 0.5, at: '2026-11-20T11:30:00Z', attribution: { team: 'new' } }),
    ]);
    await h.budgets.check();
    await h.budgets.check();
    await h.budgets.alerts.idle();
    expect(hooks.delivered('/a').map((a) => [a.kind, a.subject, a.observed, a.amount_usd, a.reference_usd, a.window_start])).toEqual([
      ['spend_spike', 'search', 2.5, '2.500000000', '1.000000000', '2026-11-20T12:00:00.000Z'],
    ]);
    expect(hooks.delivered('/a')[0].message).toBe('Spend spike for team search: $2.50 in the last hour, 2.5× its 7-day hourly average of $1.0000');
  });

  it("the day's unallocated share above 5%, once a day", async () => {
    const hooks = await receiver();
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const h = await processor({ alerts: { spike: { enabled: false }, webhooks: [{ url: `${hooks.url}/a` }], delivery: fastDelivery } }, clock);
    await h.send([
      callSpan({ usd: 95, at: '2026-11-20T09:00:00Z', attribution: search }),
      callSpan({ usd: 5, at: '2026-11-20T10:00:00Z' }),
      // Yesterday's unallocated spend does not count today.
      callSpan({ usd: 50, at: '2026-11-19T23:59:59Z' }),
    ]);
    await h.budgets.check();
    expect(hooks.received).toHaveLength(0);
    await h.send([callSpan({ usd: 1, at: '2026-11-20T11:00:00Z' })]);
    await h.budgets.check();
    await h.send([callSpan({ usd: 1, at: '2026-11-20T11:30:00Z' })]);
    await h.budgets.check();
    await h.budgets.alerts.idle();
    expect(hooks.delivered('/a').map((a) => [a.kind, a.subject, a.observed, a.amount_usd, a.reference_usd, a.window_start])).toEqual([
      ['unallocated_share', 'all', 0.059405, '6.000000000', '101.000000000', '2026-11-20T00:00:00.000Z'],
    ]);
  });

  it('the first call to a model the price book cannot price, once ever; Slack text is escaped', async () => {
    const hooks = await receiver();
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const path = join(dir, 'unpriced.duckdb');
    const config = { alerts: { ...quiet, webhooks: [{ url: `${hooks.url}/slack`, format: 'slack' }], delivery: fastDelivery } };
    const first = await openBudgets(config, clock, path);
    await first.send([
      callSpan({ usd: 1, at: '2026-11-20T11:00:00Z', model: 'mystery-<!channel>', attribution: search }),
      callSpan({ usd: 1, at: '2026-11-20T11:01:00Z', model: 'mystery-<!channel>', attribution: search }),
      callSpan({ usd: 1, at: '2026-11-20T11:02:00Z', model: 'priced-chat', attribution: search }),
    ]);
    await first.send([callSpan({ usd: 1, at: '2026-11-20T11:03:00Z', model: 'mystery-<!channel>' })]);
    await first.close();
    const second = await processor(config, clock, path);
    await second.send([callSpan({ usd: 1, at: '2026-11-20T11:04:00Z', model: 'mystery-<!channel>' })]);
    await second.budgets.alerts.idle();
    expect(hooks.delivered('/slack')).toEqual([
      {
        text: ':rotating_light: *genai-chargeback* First call to openai/mystery-&lt;!channel&gt;, which the price book cannot price: its cost is unknown (stored with no cost); add the model to a --prices file',
      },
    ]);
  });
});

describe('unpriced-model alerts per day', () => {
  it('alerts the first models of a UTC day one by one, then once that there are more, across a restart; the next day starts over', async () => {
    const hooks = await receiver();
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const path = join(dir, 'unpriced-per-day.duckdb');
    const config = { alerts: { ...quiet, unpriced_models_per_day: 3, webhooks: [{ url: `${hooks.url}/a` }], delivery: fastDelivery } };
    const models = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => callSpan({ usd: 1, at: '2026-11-20T11:00:00Z', model: `tuned-${from + i}` }));
    const subjects = () => hooks.delivered('/a').map((alert) => `${alert.subject} ${alert.window_start}`);
    const first = await openBudgets(config, clock, path);
    await first.send(models(0, 2));
    await first.send(models(2, 10));
    await first.send(models(10, 12));
    await first.budgets.alerts.idle();
    expect(subjects()).toEqual([
      'openai/tuned-0 1970-01-01T00:00:00.000Z',
      'openai/tuned-1 1970-01-01T00:00:00.000Z',
      'openai/tuned-2 1970-01-01T00:00:00.000Z',
      '(more models) 2026-11-20T00:00:00.000Z',
    ]);
    expect(hooks.delivered('/a')[3]?.message).toBe(
      "More than 3 models the price book cannot price today (UTC), e.g. openai/tuned-3: the others are not alerted one by one until tomorrow; their calls are in llm_calls with cost_source 'unpriced' or 'reported'",
    );
    await first.close();
    // The same day after a restart: the allowance is spent.
    const second = await openBudgets(config, clock, path);
    await second.send(models(12, 13));
    await second.budgets.alerts.idle();
    expect(subjects()).toHaveLength(4);
    clock.set('2026-11-21T00:00:01Z');
    await second.send([...models(3, 4), ...models(0, 1)]);
    await second.budgets.alerts.idle();
    expect(subjects().slice(4)).toEqual(['openai/tuned-3 1970-01-01T00:00:00.000Z']);
    expect(await second.ledger.query(`SELECT count(*)::INTEGER AS n FROM alerts`)).toEqual([{ n: 5 }]);
    await second.close();
  });
});

let rowCounter = 0;

/** A ledger row as the pipeline hands it to listeners. */
function rowOf(options: { usd: number; team: string; model: string }) {
  rowCounter += 1;
  const at = new Date('2026-11-20T11:00:00Z');
  return {
    trace_id: rowCounter.toString(16).padStart(32, '0'),
    span_id: rowCounter.toString(16).padStart(16, '0'),
    parent_span_id: null,
    start_time: at,
    end_time: at,
    duration_ms: 1,
    service_name: 'svc',
    team: options.team,
    project: null,
    feature: null,
    customer: null,
    user_id: null,
    environment: null,
    action: null,
    provider: 'openai',
    operation: 'chat',
    request_model: options.model,
    response_model: null,
    response_id: null,
    input_tokens: 1000,
    output_tokens: 10,
    cache_read_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    cost_nanos: BigInt(options.usd * 1e9),
    cost_source: 'reported' as const,
    price_id: null,
    status: 'ok' as const,
    error_type: null,
    attempts: null,
    received_at: at,
    attributes: '{}',
  };
}
