import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupBy, nanos, openSeededLedger, sumNanos, teamLabel, usd, weekStart, type SeededLedger } from './report-fixture.js';
import { sumOrNull, type SeedCall } from './seed-ledger.js';

let ledger: SeededLedger;
beforeAll(async () => {
  ledger = await openSeededLedger();
});
afterAll(async () => {
  await ledger.db.close();
});

const routeOf = (c: SeedCall) => c.attributes['http.route'] ?? c.action;
const within = (since: string, until: string) => (c: SeedCall) => c.start >= new Date(since) && c.start < new Date(until);
const dollars = (n: bigint | null) => (n === null ? null : Number(n) / 1e9);

describe('team-trends', () => {
  /** The report's method, restated: weekly series with zero-filled quiet weeks, z-score against the 4 weeks before. */
  function expectedTrends(calls: SeedCall[], firstWeek: string, endWeek: string, threshold: number) {
    const weeks: string[] = [];
    for (let t = Date.parse(firstWeek) - 28 * 86_400_000; t < Date.parse(endWeek); t += 7 * 86_400_000) weeks.push(new Date(t).toISOString().slice(0, 10));
    const inRange = calls.filter(within(weeks[0] as string, endWeek));
    const teams = [...new Set(inRange.map((c) => teamLabel(c.team)))];
    const rows: { week: string; team: string; requests: number; cost_usd: string | null; previous_cost_usd: string | null; z: number | null; outlier: boolean; trend: string | null }[] = [];
    for (const team of teams) {
      const series = weeks.map((week) => {
        const group = inRange.filter((c) => teamLabel(c.team) === team && weekStart(c.start) === week);
        const priced = group.filter((c) => c.cost_nanos !== null);
        const cost = group.length === 0 ? 0n : sumNanos(group.map((c) => c.cost_nanos));
        return { week, requests: group.length, cost, cpr: priced.length === 0 ? null : (dollars(cost) as number) / priced.length };
      });
      series.forEach((point, index) => {
        if (point.week < firstWeek) return;
        const previous = series[index - 1];
        const baseline = series.slice(Math.max(0, index - 4), index).map((p) => dollars(p.cost)).filter((v): v is number => v !== null);
        const mean = baseline.reduce((a, b) => a + b, 0) / baseline.length;
        const sd = baseline.length < 2 ? null : Math.sqrt(baseline.reduce((a, b) => a + (b - mean) ** 2, 0) / (baseline.length - 1));
        const cost = dollars(point.cost);
        const z = sd === null || sd === 0 || cost === null ? null : (cost - mean) / sd;
        const prevCost = previous === undefined ? null : dollars(previous.cost);
        let trend: string | null;
        if (point.requests === 0 && (prevCost ?? 0) === 0) trend = 'idle';
        else if (cost === null) trend = null;
        else if ((prevCost ?? 0) === 0) trend = 'new';
        else if (cost > (prevCost as number) && (point.cpr as number) > (previous?.cpr as number)) trend = 'costlier per request';
        else if (cost > (prevCost as number)) trend = 'growing';
        else if (cost < (prevCost as number)) trend = 'shrinking';
        else trend = 'flat';
        rows.push({ week: point.week, team, requests: point.requests, cost_usd: usd(point.cost), previous_cost_usd: usd(previous?.cost ?? null), z, outlier: z !== null && Math.abs(z) >= threshold, trend });
      });
    }
    return rows;
  }

  it('scores each complete week against the four before and tells growth from rising unit cost', async () => {
    const rows = await ledger.run('team-trends', { since: '2026-10-26', until: '2026-12-01T12:00:00Z', z_threshold: '2.5' });
    // until falls on Tuesday 2026-12-01: the week it starts (Nov 30) is incomplete and left out.
    const expected = expectedTrends(ledger.calls, '2026-10-26', '2026-11-30', 2.5);
    expect(rows).toHaveLength(expected.length);
    for (const want of expected) {
      const row = rows.find((r) => r.team === want.team && r.week === want.week);
      expect(row).toMatchObject({ requests: want.requests, cost_usd: want.cost_usd, previous_cost_usd: want.previous_cost_usd, outlier: want.outlier, trend: want.trend });
      if (want.z === null) expect(row?.z_score).toBeNull();
      else expect(Math.abs(Number(row?.z_score) - want.z)).toBeLessThanOrEqual(0.006);
    }
    const lastWeek = (team: string) => rows.find((r) => r.team === team && r.week === '2026-11-23');
    expect(lastWeek('search')).toMatchObject({ trend: 'growing', outlier: true });
    expect(lastWeek('ads')).toMatchObject({ trend: 'costlier per request', outlier: true });
  });
});

describe('data quality', () => {
  const since = '2026-11-01';
  const until = '2026-12-01';
  const calls = () => ledger.calls.filter(within(since, until));

  it('unallocated-share: the share of spend without a team, against the 5% goal', async () => {
    const [row] = await ledger.run('unallocated-share', { since, until });
    const all = calls();
    const unallocated = all.filter((c) => c.team === null);
    const total = sumNanos(all.map((c) => c.cost_nanos)) as bigint;
    const unallocatedCost = sumNanos(unallocated.map((c) => c.cost_nanos)) ?? 0n;
    const share = (100 * Number(unallocatedCost)) / Number(total);
    expect(row).toMatchObject({
      calls: all.length,
      unallocated_calls: unallocated.length,
      unpriced_calls: all.filter((c) => c.cost_nanos === null).length,
      unallocated_unpriced_calls: unallocated.filter((c) => c.cost_nanos === null).length,
      total_cost_usd: usd(total),
      unallocated_cost_usd: usd(unallocatedCost),
      meets_goal: share < 5,
    });
    expect(Math.abs(Number(row?.unallocated_share_pct) - share)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(Number(row?.unallocated_calls_pct) - (100 * unallocated.length) / all.length)).toBeLessThanOrEqual(0.005);
  });

  it('unallocated-sources: the services and routes behind unallocated spend', async () => {
    const rows = await ledger.run('unallocated-sources', { since, until });
    const all = calls();
    const unallocated = all.filter((c) => c.team === null);
    const total = Number(sumNanos(all.map((c) => c.cost_nanos)));
    const unallocatedTotal = Number(sumNanos(unallocated.map((c) => c.cost_nanos)));
    const expected = [...groupBy(unallocated, (c) => `${c.service_name}|${routeOf(c)}`)]
      .map(([key, group]) => {
        const cost = sumNanos(group.map((c) => c.cost_nanos));
        const [service_name, route] = key.split('|');
        return { service_name, route, calls: group.length, unpriced_calls: group.filter((c) => c.cost_nanos === null).length, cost_usd: usd(cost), cost };
      })
      .sort((a, b) => Number((b.cost ?? 0n) - (a.cost ?? 0n)) || b.calls - a.calls);
    expect(rows.map((r) => [r.service_name, r.route])).toEqual(expected.map((e) => [e.service_name, e.route]));
    rows.forEach((row, index) => {
      const { cost, ...want } = expected[index] as (typeof expected)[number];
      expect(row).toMatchObject(want);
      expect(Math.abs(Number(row.share_of_unallocated_pct) - (100 * Number(cost)) / unallocatedTotal)).toBeLessThanOrEqual(0.005);
      expect(Math.abs(Number(row.share_of_spend_pct) - (100 * Number(cost)) / total)).toBeLessThanOrEqual(0.005);
    });
  });

  it('unpriced-models: unpriced calls by model, with the teams that made them', async () => {
    const rows = await ledger.run('unpriced-models', { since, until });
    const unpriced = calls().filter((c) => c.cost_nanos === null);
    expect(unpriced.length).toBeGreaterThan(0);
    expect(rows).toEqual([
      {
        provider: 'acme',
        model: 'mystery-model',
        service_tier: '(standard)',
        hosted_tools: '(none)',
        unpriced_reason: '(not recorded)',
        response_models: 'mystery-model',
        calls: unpriced.length,
        calls_without_usage: unpriced.filter((c) => c.input_tokens === null && c.output_tokens === null).length,
        input_tokens: sumOrNull(unpriced.map((c) => c.input_tokens)),
        output_tokens: sumOrNull(unpriced.map((c) => c.output_tokens)),
        teams: [...new Set(unpriced.map((c) => teamLabel(c.team)))].sort().join(', '),
        first_seen: expect.any(String),
        last_seen: expect.any(String),
      },
    ]);
    expect(Date.parse(String(rows[0]?.first_seen))).toBe(Math.min(...unpriced.map((c) => c.start.getTime())));
    expect(Date.parse(String(rows[0]?.last_seen))).toBe(Math.max(...unpriced.map((c) => c.start.getTime())));
  });

  it('failed-call-cost: what failed calls cost per team and route, against the team spend', async () => {
    const rows = await ledger.run('failed-call-cost', { since, until });
    const all = calls();
    const failed = all.filter((c) => c.status === 'error');
    const groups = groupBy(failed, (c) => `${teamLabel(c.team)}|${routeOf(c)}`);
    expect(rows).toHaveLength(groups.size);
    for (const [key, group] of groups) {
      const [team, route] = key.split('|');
      const teamCost = sumNanos(all.filter((c) => teamLabel(c.team) === team).map((c) => c.cost_nanos));
      const failedCost = sumNanos(group.map((c) => c.cost_nanos));
      const row = rows.find((r) => r.team === team && r.route === route);
      expect(row).toMatchObject({
        failed_calls: group.length,
        unpriced_failed_calls: group.filter((c) => c.cost_nanos === null).length,
        failed_cost_usd: usd(failedCost),
        team_cost_usd: usd(teamCost),
        error_types: [...new Set(group.map((c) => c.error_type ?? '(none)'))].sort().join(', '),
      });
      if (failedCost === null) expect(row?.share_of_team_spend_pct).toBeNull();
      else expect(Math.abs(Number(row?.share_of_team_spend_pct) - (100 * Number(failedCost)) / Number(teamCost))).toBeLessThanOrEqual(0.005);
    }
    const costs = rows.map((r) => (r.failed_cost_usd === null ? -1n : nanos(r.failed_cost_usd ?? null)));
    expect(costs).toEqual([...costs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });
});
