import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportCell } from '../../processor/src/reports/report-result.js';
import {
  groupBy,
  isoDay,
  monthStart,
  nanos,
  openSeededLedger,
  sumNanos,
  teamLabel,
  usd,
  weekStart,
  type SeededLedger,
} from './report-fixture.js';
import { sumOrNull, type SeedCall } from './seed-ledger.js';

let ledger: SeededLedger;
beforeAll(async () => {
  ledger = await openSeededLedger();
});
afterAll(async () => {
  await ledger.db.close();
});

/** The group columns of each spend report, computed from a seed call the way the report documents. */
const dimensions: Record<string, (call: SeedCall) => Record<string, string>> = {
  'spend-by-team': (c) => ({ team: teamLabel(c.team) }),
  'spend-by-project': (c) => ({ project: c.project ?? '(none)' }),
  'spend-by-feature': (c) => ({ project: c.project ?? '(none)', feature: c.feature ?? '(none)' }),
  'spend-by-customer': (c) => ({ customer: c.customer ?? '(none)' }),
  'spend-by-environment': (c) => ({ environment: c.environment ?? '(none)' }),
  'spend-by-model': (c) => ({ provider: c.provider, model: c.request_model }),
  'spend-by-provider': (c) => ({ provider: c.provider }),
  'spend-by-team-model': (c) => ({ team: teamLabel(c.team), provider: c.provider, model: c.request_model }),
};

const periodOf = { day: (d: Date) => isoDay(d), week: weekStart, month: monthStart };

function expectedSpend(calls: SeedCall[], dimension: (call: SeedCall) => Record<string, string>, grain: keyof typeof periodOf) {
  const groups = groupBy(calls, (c) => JSON.stringify({ period: periodOf[grain](c.start), ...dimension(c) }));
  return [...groups.entries()].map(([key, group]) => {
    const cost = sumNanos(group.map((c) => c.cost_nanos));
    const priced = group.filter((c) => c.cost_nanos !== null).length;
    return {
      row: {
        ...(JSON.parse(key) as Record<string, string>),
        requests: group.length,
        failed_requests: group.filter((c) => c.status === 'error').length,
        unpriced_calls: group.length - priced,
        input_tokens: sumOrNull(group.map((c) => c.input_tokens)),
        cached_tokens: sumOrNull(group.map((c) => c.cache_read_tokens)),
        output_tokens: sumOrNull(group.map((c) => c.output_tokens)),
        cost_usd: usd(cost),
      },
      costPerRequestNanos: cost === null ? null : Number(cost) / priced,
    };
  });
}

const inNovember = (c: SeedCall) => c.start >= new Date('2026-11-01T00:00:00Z') && c.start < new Date('2026-12-01T00:00:00Z');
const keyOf = (row: Record<string, unknown>) => JSON.stringify(Object.entries(row).filter(([k]) => !k.endsWith('_usd') && k !== 'requests'));

function compare(actual: Record<string, ReportCell>[], expected: ReturnType<typeof expectedSpend>) {
  const withoutRatio = actual.map(({ cost_per_request_usd: _, ...rest }) => rest);
  const sort = <T extends Record<string, unknown>>(rows: T[]) => [...rows].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  expect(sort(withoutRatio)).toEqual(sort(expected.map((e) => e.row)));
  // Cost per priced request is a ratio (a float on the way): exact to the nano-dollar.
  for (const row of actual) {
    const match = expected.find((e) => Object.entries(e.row).every(([k, v]) => row[k] === v));
    const want = match?.costPerRequestNanos ?? null;
    if (want === null) expect(row.cost_per_request_usd).toBeNull();
    else expect(Math.abs(Number(nanos(row.cost_per_request_usd ?? null)) - want)).toBeLessThanOrEqual(1);
  }
}

describe('spend reports', () => {
  for (const [report, dimension] of Object.entries(dimensions)) {
    for (const grain of ['month', 'week', 'day'] as const) {
      it(`${report} per ${grain} matches the ledger`, async () => {
        const actual = await ledger.run(report, { since: '2026-11-01', until: '2026-12-01', grain });
        compare(actual, expectedSpend(ledger.calls.filter(inNovember), dimension, grain));
      });
    }
  }

  it('defaults to months and filters by team, with (unallocated) naming calls without one', async () => {
    const actual = await ledger.run('spend-by-model', { since: '2026-10-01', until: '2026-12-01', team: ['search', '(unallocated)'] });
    const calls = ledger.calls.filter((c) => c.team === 'search' || c.team === null);
    compare(actual, expectedSpend(calls, dimensions['spend-by-model'] as (c: SeedCall) => Record<string, string>, 'month'));
    expect(actual.map((r) => r.period)).toContain('2026-10-01');
  });

  it('keeps unpriced calls visible: counted, with a NULL cost rather than 0', async () => {
    const rows = await ledger.run('spend-by-provider', { since: '2026-10-01', until: '2026-12-01' });
    const acme = rows.filter((r) => r.provider === 'acme');
    expect(acme.length).toBeGreaterThan(0);
    for (const row of acme) {
      expect(row.cost_usd).toBeNull();
      expect(row.cost_per_request_usd).toBeNull();
      expect(row.unpriced_calls).toBe(row.requests);
    }
  });

  it('orders each period by cost, highest first', async () => {
    const rows = await ledger.run('spend-by-team', { since: '2026-11-01', until: '2026-12-01' });
    const costs = rows.map((r) => nanos(r.cost_usd ?? null));
    expect(costs).toEqual([...costs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const byTeam = groupBy(ledger.calls.filter(inNovember), (c) => teamLabel(c.team));
    const top = [...byTeam.entries()].sort(([, a], [, b]) => Number((sumNanos(b.map((c) => c.cost_nanos)) ?? 0n) - (sumNanos(a.map((c) => c.cost_nanos)) ?? 0n)))[0];
    expect(rows[0]?.team).toBe(top?.[0]);
  });
});
