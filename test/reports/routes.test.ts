import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../../processor/src/reports/format.js';
import { createReportRoutes } from '../../processor/src/reports/routes.js';
import { instanceReportRunner } from '../../processor/src/reports/runner.js';
import { executeReport } from '../../processor/src/reports/execute-report.js';
import { openSeededLedger, testNow, usd, sumNanos, type SeededLedger } from './report-fixture.js';

let ledger: SeededLedger;
let app: Hono;
const logged: unknown[] = [];
beforeAll(async () => {
  ledger = await openSeededLedger();
  const routes = createReportRoutes({
    catalog: ledger.catalog,
    run: instanceReportRunner(ledger.db.instance),
    now: () => testNow,
    logger: { error: (entry: unknown) => void logged.push(entry) },
  });
  // Mounted as the service mounts it.
  app = new Hono().route('/v1/reports', routes);
});
afterAll(async () => {
  await ledger.db.close();
});

const november = 'since=2026-11-01&until=2026-12-01';

describe('GET /v1/reports', () => {
  it('lists the reports with their parameters', async () => {
    const response = await app.request('/v1/reports');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { reports: { name: string; parameters: { name: string; type: string }[] }[] };
    expect(body.reports).toHaveLength(ledger.catalog.list().length);
    expect(body.reports.find((r) => r.name === 'top-calls')?.parameters.map((p) => `${p.name}:${p.type}`)).toEqual([
      'since:TIMESTAMP',
      'until:TIMESTAMP',
      'team:VARCHAR[]',
      'limit:INTEGER',
    ]);
  });

  it('runs a report as JSON with the same rows as a direct run', async () => {
    const response = await app.request(`/v1/reports/spend-by-team?${november}&team=search&team=ads`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { report: string; parameters: Record<string, unknown>; rows: Record<string, unknown>[] };
    expect(body.report).toBe('spend-by-team');
    expect(body.parameters).toEqual({ since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z', team: ['search', 'ads'], grain: null });
    expect(body.rows).toEqual(await ledger.run('spend-by-team', { since: '2026-11-01', until: '2026-12-01', team: ['search', 'ads'] }));
    const search = ledger.calls.filter((c) => c.team === 'search' && c.start >= new Date('2026-11-01T00:00:00Z'));
    expect(body.rows.find((r) => r.team === 'search')?.cost_usd).toBe(usd(sumNanos(search.map((c) => c.cost_nanos))));
  });

  it('answers CSV for format=csv and for Accept: text/csv', async () => {
    const deps = { catalog: ledger.catalog, run: instanceReportRunner(ledger.db.instance) };
    const expected = formatCsv(await executeReport(deps, 'unpriced-models', { since: '2026-11-01', until: '2026-12-01' }));
    for (const response of [
      await app.request(`/v1/reports/unpriced-models?${november}&format=csv`),
      await app.request(`/v1/reports/unpriced-models?${november}`, { headers: { accept: 'text/csv' } }),
    ]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="unpriced-models.csv"');
      expect(await response.text()).toBe(expected);
    }
  });

  it('404 for an unknown report, 400 naming each bad parameter', async () => {
    const unknown = await app.request('/v1/reports/spend-by-planet');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_report' } });

    const bad = await app.request('/v1/reports/top-calls?since=yesterday&limit=-3&month=2026-11');
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; problems: string[] } };
    expect(body.error.code).toBe('invalid_parameters');
    expect(body.error.problems.map((p) => p.split(':')[0])).toEqual(['month', 'since', 'limit']);

    const format = await app.request('/v1/reports/top-calls?format=xml');
    expect(format.status).toBe(400);
  });

  it('500 without internals when a report fails, with the cause in the log', async () => {
    const failing = new Hono().route(
      '/v1/reports',
      createReportRoutes({
        catalog: ledger.catalog,
        run: () => Promise.reject(new Error('disk on fire')),
        logger: { error: (entry: unknown) => void logged.push(entry) },
      }),
    );
    const response = await failing.request('/v1/reports/spend-by-team');
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain('disk on fire');
    expect(JSON.stringify(logged.at(-1))).toContain('spend-by-team');
  });
});
