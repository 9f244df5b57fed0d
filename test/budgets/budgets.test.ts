import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { callSpan, openBudgets, TestClock, type BudgetHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'gc-budgets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: BudgetHarness[] = [];
afterEach(async () => {
  for (const harness of open.splice(0)) await harness.close();
});

const config = {
  budgets: [
    { name: 'search-monthly', scope: { team: 'search' }, period: 'monthly', timezone: 'Europe/Berlin', limit_usd: 100 },
    { name: 'search-prod-daily', scope: { team: 'search', environment: 'prod' }, period: 'daily', timezone: 'Europe/Berlin', limit_usd: 20, mode: 'block' },
    { name: 'everything-weekly', scope: {}, period: 'weekly', limit_usd: 1000, alert_at: [0.9] },
  ],
  alerts: { spike: { enabled: false }, unallocated: { enabled: false } },
};

async function start(clock: TestClock, path?: string) {
  const harness = await openBudgets(config, clock, path);
  open.push(harness);
  return harness;
}

const byName = (body: { budgets: Array<{ name: string }> }) => Object.fromEntries(body.budgets.map((b) => [b.name, b]));

describe('budgets: spend per window, status, forecast', () => {
  it('reports limit, spent, remaining and the run-rate forecast, and which scopes are blocked', async () => {
    // Halfway through November in Berlin: 15 of 30 days elapsed, so the forecast is twice the spend.
    const clock = new TestClock(Date.parse('2026-11-15T23:00:00Z'));
    const h = await start(clock);
    await h.send([
      callSpan({ usd: 12, at: '2026-11-15T20:00:00Z', attribution: { team: 'search', environment: 'prod' } }),
      callSpan({ usd: 12.5, at: '2026-11-15T21:00:00Z', attribution: { team: 'search', environment: 'prod' } }),
      callSpan({ usd: 3.25, at: '2026-11-15T22:00:00Z', attribution: { team: 'search', environment: 'dev' } }),
      callSpan({ usd: 5, at: '2026-11-15T22:30:00Z', attribution: { team: 'ads' } }),
      callSpan({ usd: 1, at: '2026-11-15T22:40:00Z', model: 'unknown-model', attribution: { team: 'search' } }),
      // October in Berlin: outside the monthly window.
      callSpan({ usd: 40, at: '2026-10-31T22:59:59Z', attribution: { team: 'search' } }),
    ]);

    const { status, body } = await h.get('/v1/budgets');
    expect(status).toBe(200);
    const budgets = byName(body);
    expect(budgets['search-monthly']).toEqual({
      name: 'search-monthly',
      scope: { team: 'search' },
      period: 'monthly',
      timezone: 'Europe/Berlin',
      mode: 'alert',
      window_start: '2026-10-31T23:00:00.000Z',
      window_end: '2026-11-30T23:00:00.000Z',
      limit_usd: '100.000000000',
      spent_usd: '27.750000000',
      remaining_usd: '72.250000000',
      used_share: 0.2775,
      forecast_usd: '55.500000000',
      forecast_exceeds_limit: false,
      alert_at: [0.5, 0.8, 1],
      thresholds_reached: [],
      blocked: false,
      calls: 4,
      unpriced_calls: 1,
    });
    // Daily window of Nov 16 in Berlin started at 23:00 UTC: none of these calls are in it.
    expect(budgets['search-prod-daily']).toMatchObject({ window_start: '2026-11-15T23:00:00.000Z', spent_usd: '0.000000000', blocked: false });
    expect(budgets['everything-weekly']).toMatchObject({ window_start: '2026-11-09T00:00:00.000Z', spent_usd: '32.750000000', calls: 5 });
  });

  it('blocks a scope once a block budget reaches its limit; other scopes and teams stay allowed', async () => {
    const clock = new TestClock(Date.parse('2026-11-16T10:00:00Z'));
    const h = await start(clock);
    const prod = { team: 'search', environment: 'prod' };
    await h.send([callSpan({ usd: 19.99, at: '2026-11-16T09:00:00Z', attribution: prod })]);
    expect((await h.get('/v1/budgets/status?team=search&environment=prod')).body).toMatchObject({ allowed: true, blocked_by: [] });

    await h.send([callSpan({ usd: 0.01, at: '2026-11-16T09:30:00Z', attribution: prod })]);
    const blocked = await h.get('/v1/budgets/status?team=search&environment=prod');
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({
      allowed: false,
      scope: prod,
      blocked_by: [{ name: 'search-prod-daily', limit_usd: '20.000000000', spent_usd: '20.000000000', until: '2026-11-16T23:00:00.000Z' }],
      block_dimensions: ['team', 'environment'],
    });
    expect(blocked.body.budgets.map((b: { name: string }) => b.name)).toEqual(['search-monthly', 'search-prod-daily', 'everything-weekly']);
    expect((await h.get('/v1/budgets/status?team=search&environment=dev')).body.allowed).toBe(true);
    expect((await h.get('/v1/budgets/status?team=search')).body.allowed).toBe(true);
    expect((await h.get('/v1/budgets/status?team=ads&environment=prod')).body.allowed).toBe(true);

    // The next Berlin day lifts the block without any new call.
    clock.set('2026-11-16T23:00:00Z');
    expect((await h.get('/v1/budgets/status?team=search&environment=prod')).body).toMatchObject({ allowed: true, blocked_by: [] });
  });

  it('refuses a status query that is not a scope, naming the fix', async () => {
    const h = await start(new TestClock(Date.parse('2026-11-16T10:00:00Z')));
    const unknown = await h.get('/v1/budgets/status?tenant=acme');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.problems).toEqual(['tenant: not a budget dimension; use team, project, feature, customer, environment']);
    const twice = await h.get('/v1/budgets/status?team=a&team=b');
    expect(twice.status).toBe(400);
    expect(twice.body.error.problems).toEqual(['team: given 2 times; a call has one team']);
  });

  it('gets spend right after a restart, from DuckDB, without counting a retried export twice', async () => {
    const path = join(dir, 'restart.duckdb');
    const clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
    const spans = [
      callSpan({ usd: 30, at: '2026-11-20T11:00:00Z', attribution: { team: 'search' } }),
      callSpan({ usd: 15, at: '2026-11-20T11:10:00Z', attribution: { team: 'search', environment: 'prod' } }),
    ];
    const first = await openBudgets(config, clock, path);
    await first.send(spans);
    await first.send(spans);
    expect(byName((await first.get('/v1/budgets')).body)['search-monthly']).toMatchObject({ spent_usd: '45.000000000', calls: 2 });
    await first.close();

    const second = await start(clock, path);
    expect(byName((await second.get('/v1/budgets')).body)['search-monthly']).toMatchObject({ spent_usd: '45.000000000', calls: 2 });
    await second.send(spans);
    await second.send([callSpan({ usd: 5, at: '2026-11-20T11:20:00Z', attribution: { team: 'search', environment: 'prod' } })]);
    const budgets = byName((await second.get('/v1/budgets')).body);
    expect(budgets['search-monthly']).toMatchObject({ spent_usd: '50.000000000', calls: 3 });
    expect((await second.get('/v1/budgets/status?team=search&environment=prod')).body.allowed).toBe(false);
  });

  it('resets at the month boundary in the budget time zone, also across a restart', async () => {
    const path = join(dir, 'boundary.duckdb');
    // 23:59 on Nov 30 in Berlin.
    const clock = new TestClock(Date.parse('2026-11-30T22:59:00Z'));
    const h = await openBudgets(config, clock, path);
    await h.send([
      callSpan({ usd: 60, at: '2026-11-30T22:58:00Z', attribution: { team: 'search' } }),
      // Stamped by a clock running a little ahead: already December in Berlin.
      callSpan({ usd: 2, at: '2026-11-30T23:00:10Z', attribution: { team: 'search' } }),
    ]);
    expect(byName((await h.get('/v1/budgets')).body)['search-monthly']).toMatchObject({ spent_usd: '60.000000000', window_end: '2026-11-30T23:00:00.000Z' });

    clock.set('2026-11-30T23:00:30Z');
    await h.send([callSpan({ usd: 1, at: '2026-11-30T23:00:20Z', attribution: { team: 'search' } })]);
    expect(byName((await h.get('/v1/budgets')).body)['search-monthly']).toMatchObject({
      window_start: '2026-11-30T23:00:00.000Z',
      window_end: '2026-12-31T23:00:00.000Z',
      spent_usd: '3.000000000',
      calls: 2,
    });
    await h.close();

    const restarted = await start(clock, path);
    expect(byName((await restarted.get('/v1/budgets')).body)['search-monthly']).toMatchObject({ spent_usd: '3.000000000', calls: 2 });
  });
});
