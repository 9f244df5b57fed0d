import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChargebackPack } from '../../processor/src/reports/chargeback-pack.js';
import { executeReport } from '../../processor/src/reports/execute-report.js';
import { ReportParameterError } from '../../processor/src/reports/errors.js';
import type { ReportCell } from '../../processor/src/reports/report-result.js';
import { instanceReportRunner } from '../../processor/src/reports/runner.js';
import { groupBy, nanos, openSeededLedger, sumNanos, teamLabel, usd, type SeededLedger } from './report-fixture.js';
import { insertSeed, sumOrNull, type SeedCall } from './seed-ledger.js';

let ledger: SeededLedger;
beforeAll(async () => {
  ledger = await openSeededLedger();
  // December 2026: only unallocated calls, so no team can take the pool.
  const template = ledger.calls.find((c) => c.team === null) as SeedCall;
  // 0.305000003 in all: more than half a cent over 0.30, so the charge rounds up.
  const december = [
    [1, 100_000_001n],
    [2, 205_000_002n],
  ].map(([n, cost]) => ({
    ...template,
    trace_id: `dec${n}`.padStart(32, '0'),
    span_id: `dec${n}`.padStart(16, '0'),
    start: new Date(`2026-12-0${n}T10:00:00Z`),
    cost_nanos: cost as bigint,
  }));
  await insertSeed(ledger.db.connection, { calls: december, actions: [] });
  ledger.calls.push(...december);
});
afterAll(async () => {
  await ledger.db.close();
});

type Key = string | null;

/** Largest remainder, restated: floors of pool × w / W, leftover units to the largest remainders (ties by name, no team last). */
function apportion(pool: bigint, weights: Map<Key, bigint>): Map<Key, bigint> {
  const total = [...weights.values()].reduce((a, b) => a + b, 0n);
  const entries = [...weights.entries()].map(([team, w]) => ({ team, floor: (pool * w) / total, remainder: (pool * w) % total }));
  let left = pool - entries.reduce((sum, e) => sum + e.floor, 0n);
  const order = [...entries].sort((a, b) =>
    a.remainder !== b.remainder ? (a.remainder > b.remainder ? -1 : 1) : a.team === null ? 1 : b.team === null ? -1 : a.team < b.team ? -1 : 1,
  );
  for (const entry of order) if (left-- > 0n) entry.floor += 1n;
  return new Map(entries.map((e) => [e.team, e.floor]));
}

function expectedChargeback(month: string, rule: 'proportional' | 'platform', platformTeam: string | null) {
  const calls = ledger.calls.filter((c) => c.start.toISOString().startsWith(month));
  const direct = new Map<Key, bigint>();
  for (const [team, group] of groupBy(calls, (c) => JSON.stringify(c.team))) direct.set(JSON.parse(team) as Key, sumNanos(group.map((c) => c.cost_nanos)) ?? 0n);
  if (platformTeam !== null && !direct.has(platformTeam)) direct.set(platformTeam, 0n);
  const unallocatedPool = direct.get(null) ?? 0n;
  const platformPool = rule === 'proportional' && platformTeam !== null ? (direct.get(platformTeam) ?? 0n) : 0n;
  let weights = new Map([...direct].map(([team, cost]) => [team, rule === 'platform' ? (team === platformTeam ? 1n : 0n) : team === null || team === platformTeam ? 0n : cost]));
  if ([...weights.values()].every((w) => w === 0n)) {
    weights = new Map([...direct.keys()].map((team) => [team, (platformTeam !== null ? team === platformTeam : team === null) ? 1n : 0n]));
  }
  const unallocatedShares = apportion(unallocatedPool, weights);
  const platformShares = apportion(platformPool, weights);
  const rows = [...direct].map(([team, cost]) => {
    const unallocated = (unallocatedShares.get(team) ?? 0n) - (team === null ? unallocatedPool : 0n);
    const platform = (platformShares.get(team) ?? 0n) - (team === platformTeam && rule === 'proportional' ? platformPool : 0n);
    return { team, direct: cost, unallocated, platform, total: cost + unallocated + platform };
  });
  const monthTotal = rows.reduce((sum, r) => sum + r.total, 0n);
  const cents = apportion((monthTotal + 5_000_000n) / 10_000_000n, new Map(rows.map((r) => [r.team, r.total])));
  return { calls, rows: rows.map((r) => ({ ...r, charge: cents.get(r.team) ?? 0n })), monthTotal };
}

const cents = (cell: ReportCell | undefined) => nanos(cell ?? null, 2);

async function checkChargeback(month: string, rule: 'proportional' | 'platform', platformTeam: string | null) {
  const params = { month, rule, ...(platformTeam === null ? {} : { platform_team: platformTeam }) };
  const rows = await ledger.run('chargeback', params);
  const expected = expectedChargeback(month, rule, platformTeam);
  const teamRows = rows.filter((r) => r.team !== '(month total)');
  expect(teamRows.map((r) => r.team).sort()).toEqual(expected.rows.map((r) => teamLabel(r.team)).sort());
  for (const want of expected.rows) {
    const row = teamRows.find((r) => r.team === teamLabel(want.team));
    const group = expected.calls.filter((c) => c.team === want.team);
    expect(row).toMatchObject({
      month,
      requests: group.length,
      unpriced_calls: group.filter((c) => c.cost_nanos === null).length,
      direct_cost_usd: usd(want.direct),
      unallocated_share_usd: usd(want.unallocated),
      platform_share_usd: usd(want.platform),
      total_usd: usd(want.total),
      charge_usd: usd(want.charge, 2),
      rule,
      platform_team: platformTeam,
    });
  }
  // No cent appears or vanishes: every column sums to its pool, totals to the month's spend.
  const sum = (column: string, scale = 9) => teamRows.reduce((acc, r) => acc + nanos(r[column] ?? null, scale), 0n);
  const monthSpend = sumNanos(expected.calls.map((c) => c.cost_nanos)) ?? 0n;
  expect(sum('direct_cost_usd')).toBe(monthSpend);
  expect(sum('total_usd')).toBe(monthSpend);
  expect(sum('unallocated_share_usd')).toBe(0n);
  expect(sum('platform_share_usd')).toBe(0n);
  expect(sum('charge_usd', 2)).toBe((monthSpend + 5_000_000n) / 10_000_000n);
  for (const row of teamRows) {
    expect(nanos(row.direct_cost_usd ?? null) + nanos(row.unallocated_share_usd ?? null) + nanos(row.platform_share_usd ?? null)).toBe(nanos(row.total_usd ?? null));
  }
  const total = rows.at(-1);
  expect(total).toMatchObject({ team: '(month total)', total_usd: usd(monthSpend), charge_usd: usd((monthSpend + 5_000_000n) / 10_000_000n, 2) });
  return { rows, teamRows };
}

describe('chargeback', () => {
  it('proportional: unallocated cost is shared by direct spend, to the nano-dollar and the cent', async () => {
    const { teamRows } = await checkChargeback('2026-11', 'proportional', null);
    expect(teamRows.find((r) => r.team === '(unallocated)')?.total_usd).toBe('0.000000000');
    expect(cents(teamRows.find((r) => r.team === 'search')?.unallocated_share_usd)).toBeGreaterThan(0n);
  });

  it('proportional with a platform team: its calls are shared out too, leaving it at 0', async () => {
    const { teamRows } = await checkChargeback('2026-11', 'proportional', 'platform');
    expect(teamRows.find((r) => r.team === 'platform')?.total_usd).toBe('0.000000000');
  });

  it('platform: all unallocated cost goes to the platform team, which keeps its own', async () => {
    const { teamRows } = await checkChargeback('2026-10', 'platform', 'platform');
    const search = teamRows.find((r) => r.team === 'search');
    expect(search?.direct_cost_usd).toBe(search?.total_usd);
  });

  it('a pool nobody can take stays on the (unallocated) row, or goes to the platform team', async () => {
    const alone = await checkChargeback('2026-12', 'proportional', null);
    expect(alone.teamRows.map((r) => r.team)).toEqual(['(unallocated)']);
    expect(alone.teamRows[0]).toMatchObject({ total_usd: '0.305000003', charge_usd: '0.31' });
    const toPlatform = await checkChargeback('2026-12', 'proportional', 'platform');
    expect(toPlatform.teamRows.find((r) => r.team === 'platform')).toMatchObject({ requests: 0, total_usd: '0.305000003', charge_usd: '0.31' });
  });

  it('lists the price-book editions that priced each team, and reported costs', async () => {
    const rows = await ledger.run('chargeback', { month: '2026-11' });
    for (const row of rows.filter((r) => r.team !== '(month total)')) {
      const group = ledger.calls.filter((c) => c.start.toISOString().startsWith('2026-11') && teamLabel(c.team) === row.team);
      const books = new Set(group.filter((c) => c.cost_nanos !== null).map((c) => (c.cost_source === 'reported' ? 'reported' : 'builtin-2026-11-24.2')));
      expect(row.price_books).toBe([...books].sort().join(' '));
    }
  });

  it('rule platform without a platform team is refused, naming the parameter', async () => {
    const deps = { catalog: ledger.catalog, run: instanceReportRunner(ledger.db.instance) };
    const attempt = executeReport(deps, 'chargeback', { month: '2026-11', rule: 'platform' });
    await expect(attempt).rejects.toBeInstanceOf(ReportParameterError);
    await expect(attempt).rejects.toThrow(/platform_team/);
  });

  it('chargeback-lines: the lines behind each team sum to its direct cost', async () => {
    const lines = await ledger.run('chargeback-lines', { month: '2026-11' });
    const calls = ledger.calls.filter((c) => c.start.toISOString().startsWith('2026-11'));
    const priceLabel = (c: SeedCall) => c.price_id ?? (c.cost_source === 'reported' ? '(reported)' : '(unpriced)');
    const groups = groupBy(calls, (c) => JSON.stringify([teamLabel(c.team), c.project ?? '(none)', c.feature ?? '(none)', c.provider, c.request_model, priceLabel(c)]));
    expect(lines).toHaveLength(groups.size);
    for (const [key, group] of groups) {
      const [team, project, feature, provider, model, price_id] = JSON.parse(key) as string[];
      expect(lines.find((l) => l.team === team && l.project === project && l.feature === feature && l.model === model && l.price_id === price_id)).toEqual({
        month: '2026-11',
        team,
        project,
        feature,
        provider,
        model,
        price_id,
        requests: group.length,
        unpriced_calls: group.filter((c) => c.cost_nanos === null).length,
        input_tokens: sumOrNull(group.map((c) => c.input_tokens)),
        cached_tokens: sumOrNull(group.map((c) => c.cache_read_tokens)),
        output_tokens: sumOrNull(group.map((c) => c.output_tokens)),
        cost_usd: usd(sumNanos(group.map((c) => c.cost_nanos))),
      });
    }
  });
});

/** Enough CSV for these files: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): Record<string, string>[] {
  const records = text
    .trimEnd()
    .split('\r\n')
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1] ?? '').replace(/^"|"$/g, '').replaceAll('""', '"')));
  const [header = [], ...rows] = records;
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

describe('finance pack', () => {
  it('one CSV per team plus a summary, each row with the rule and the price-book editions', async () => {
    const deps = { catalog: ledger.catalog, run: instanceReportRunner(ledger.db.instance) };
    const summary = await executeReport(deps, 'chargeback', { month: '2026-11', rule: 'proportional', platform_team: 'platform' });
    const lines = await executeReport(deps, 'chargeback-lines', { month: '2026-11' });
    const files = buildChargebackPack(summary, lines);
    expect(files.map((f) => f.name).sort()).toEqual(['summary.csv', 'team-ads.csv', 'team-platform.csv', 'team-search.csv', 'team-unallocated.csv']);

    const summaryRows = parseCsv(files.find((f) => f.name === 'summary.csv')?.content ?? '');
    expect(summaryRows.every((r) => r.rule === 'proportional' && r.platform_team === 'platform')).toBe(true);
    for (const file of files.filter((f) => f.name !== 'summary.csv')) {
      const rows = parseCsv(file.content);
      const team = rows[0]?.team as string;
      const teamSummary = summaryRows.find((r) => r.team === team) as Record<string, string>;
      expect(rows.every((r) => r.rule === 'proportional' && r.price_books === teamSummary.price_books && r.month === '2026-11')).toBe(true);
      expect(teamSummary.price_books).toContain('builtin-2026-11-24.2');
      const amount = (line: string) => rows.find((r) => r.line === line)?.amount_usd;
      const usage = rows.filter((r) => r.line === 'usage');
      expect(usage.length).toBeGreaterThan(0);
      expect(usage.reduce((sum, r) => sum + (r.amount_usd === '' ? 0n : nanos(r.amount_usd as string)), 0n)).toBe(nanos(amount('direct cost') as string));
      expect(amount('direct cost')).toBe(teamSummary.direct_cost_usd);
      expect(amount('unallocated share')).toBe(teamSummary.unallocated_share_usd);
      expect(amount('platform share')).toBe(teamSummary.platform_share_usd);
      expect(amount('total')).toBe(teamSummary.total_usd);
      expect(amount('charge (rounded to cents)')).toBe(teamSummary.charge_usd);
    }
  });
});
