import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportCell } from '../../processor/src/reports/report-result.js';
import { groupBy, nanos, openSeededLedger, quantileCont, sumNanos, teamLabel, usd, type SeededLedger } from './report-fixture.js';
import { sumOrNull, type SeedCall } from './seed-ledger.js';

let ledger: SeededLedger;
beforeAll(async () => {
  ledger = await openSeededLedger();
});
afterAll(async () => {
  await ledger.db.close();
});

const since = new Date('2026-10-12T00:00:00Z');
const until = new Date('2026-11-23T00:00:00Z');
const period = { since: since.toISOString(), until: until.toISOString() };
const inPeriod = (start: Date) => start >= since && start < until;

/** count, total, mean, p50, p95 of costs in nano-dollars; statistics over fully priced items only. */
function stats(items: { cost: bigint | null; unpriced: number }[]) {
  const priced = items.filter((i) => i.unpriced === 0).map((i) => i.cost as bigint);
  const sorted = [...priced].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    total: usd(sumNanos(items.map((i) => i.cost))),
    mean: priced.length === 0 ? null : Number(priced.reduce((a, b) => a + b, 0n)) / priced.length,
    p50: sorted.length === 0 ? null : quantileCont(sorted, 0.5),
    p95: sorted.length === 0 ? null : quantileCont(sorted, 0.95),
  };
}

/** Statistics computed through floats (mean) or truncated to the nano-dollar (quantiles): within 1 nano-dollar. */
function expectNanosClose(actual: ReportCell | undefined, expected: number | null) {
  if (expected === null) return expect(actual).toBeNull();
  expect(Math.abs(Number(nanos(actual ?? null)) - expected)).toBeLessThanOrEqual(1);
}

const earliest = <T>(calls: SeedCall[], pick: (c: SeedCall) => T | null): T | null => {
  const withValue = [...calls].sort((a, b) => a.start.getTime() - b.start.getTime()).find((c) => pick(c) !== null);
  return withValue === undefined ? null : pick(withValue);
};

describe('cost per action', () => {
  it('action-costs: count, total, mean, p50 and p95 per action name and team', async () => {
    const rows = await ledger.run('action-costs', period);
    const groups = groupBy(
      ledger.actions.filter((a) => inPeriod(a.start)),
      (a) => `${a.action}|${teamLabel(a.team)}`,
    );
    expect(rows).toHaveLength(groups.size);
    for (const [key, actions] of groups) {
      const [action, team] = key.split('|');
      const row = rows.find((r) => r.action === action && r.team === team);
      const expected = stats(actions.map((a) => ({ cost: a.cost_nanos, unpriced: a.unpriced_calls })));
      expect(row).toMatchObject({
        actions: actions.length,
        calls: actions.reduce((sum, a) => sum + a.calls, 0),
        actions_with_unpriced_calls: actions.filter((a) => a.unpriced_calls > 0).length,
        total_cost_usd: expected.total,
      });
      expectNanosClose(row?.mean_cost_usd, expected.mean);
      expectNanosClose(row?.p50_cost_usd, expected.p50);
      expectNanosClose(row?.p95_cost_usd, expected.p95);
    }
  });

  it('action-instance-costs counts an action that fans out over two traces once', async () => {
    const rows = await ledger.run('action-instance-costs', { since: '2026-10-01', until: '2026-12-01' });
    const instances = groupBy(ledger.calls, (c) => c.attributes['chargeback.action_id'] ?? c.trace_id);
    const fanOut = instances.get('job-10') ?? [];
    expect(new Set(fanOut.map((c) => c.trace_id)).size).toBe(2);

    const perInstance = [...instances.values()].map((calls) => ({
      action: earliest(calls, (c) => c.action),
      team: teamLabel(earliest(calls, (c) => c.team)),
      traces: new Set(calls.map((c) => c.trace_id)).size,
      calls: calls.length,
      unpriced: calls.filter((c) => c.cost_nanos === null).length,
      cost: sumNanos(calls.map((c) => c.cost_nanos)),
    }));
    const groups = groupBy(perInstance, (i) => `${i.action}|${i.team}`);
    expect(rows).toHaveLength(groups.size);
    for (const [key, group] of groups) {
      const [action, team] = key.split('|');
      const row = rows.find((r) => r.action === action && r.team === team);
      const expected = stats(group);
      expect(row).toMatchObject({
        actions: group.length,
        traces: group.reduce((sum, i) => sum + i.traces, 0),
        calls: group.reduce((sum, i) => sum + i.calls, 0),
        actions_with_unpriced_calls: group.filter((i) => i.unpriced > 0).length,
        total_cost_usd: expected.total,
      });
      expectNanosClose(row?.p95_cost_usd, expected.p95);
    }
    // The per-trace report counts the same calls as one more action.
    const perTrace = await ledger.run('action-costs', { since: '2026-10-01', until: '2026-12-01' });
    const total = (rs: Record<string, ReportCell>[]) => rs.reduce((sum, r) => sum + Number(r.actions), 0);
    expect(total(perTrace) - total(rows)).toBe(1);
  });

  it('conversation-costs ranks conversations by cost with their calls, traces, tokens and owner', async () => {
    const rows = await ledger.run('conversation-costs', { since: '2026-10-01', until: '2026-12-01', limit: '2' });
    const conversations = [...groupBy(ledger.calls.filter((c) => c.attributes['gen_ai.conversation.id']), (c) => c.attributes['gen_ai.conversation.id'] as string)]
      .map(([id, calls]) => ({
        conversation_id: id,
        team: teamLabel(earliest(calls, (c) => c.team)),
        user_id: earliest(calls, (c) => c.user_id),
        calls: calls.length,
        traces: new Set(calls.map((c) => c.trace_id)).size,
        input_tokens: sumOrNull(calls.map((c) => c.input_tokens)),
        cached_tokens: sumOrNull(calls.map((c) => c.cache_read_tokens)),
        output_tokens: sumOrNull(calls.map((c) => c.output_tokens)),
        cost_usd: usd(sumNanos(calls.map((c) => c.cost_nanos))),
        unpriced_calls: calls.filter((c) => c.cost_nanos === null).length,
        first: Math.min(...calls.map((c) => c.start.getTime())),
      }))
      .sort((a, b) => Number(nanos(b.cost_usd) - nanos(a.cost_usd)));
    expect(conversations.length).toBeGreaterThan(2);
    expect(rows).toHaveLength(2);
    rows.forEach((row, index) => {
      const { first, ...expected } = conversations[index] as (typeof conversations)[number];
      expect(row).toMatchObject(expected);
      expect(new Date(String(row.first_call)).getTime()).toBe(first);
    });
  });
});

describe('most expensive calls and actions', () => {
  it('top-calls answers who, which model and price, how many tokens for the costliest calls', async () => {
    const rows = await ledger.run('top-calls', { ...period, limit: '5', team: ['ads'] });
    const expected = ledger.calls
      .filter((c) => inPeriod(c.start) && c.team === 'ads' && c.cost_nanos !== null)
      .sort((a, b) => Number((b.cost_nanos ?? 0n) - (a.cost_nanos ?? 0n)) || a.start.getTime() - b.start.getTime())
      .slice(0, 5);
    expect(rows).toHaveLength(5);
    rows.forEach((row, index) => {
      const call = expected[index] as SeedCall;
      expect(row).toMatchObject({
        span_id: call.span_id,
        trace_id: call.trace_id,
        team: 'ads',
        user_id: call.user_id,
        service_name: call.service_name,
        route: call.attributes['http.route'] ?? call.action,
        request_model: call.request_model,
        response_model: call.response_model,
        price_id: call.price_id,
        cost_source: call.cost_source,
        input_tokens: call.input_tokens,
        cached_tokens: call.cache_read_tokens,
        output_tokens: call.output_tokens,
        cost_usd: usd(call.cost_nanos),
        status: call.status,
      });
      expect(new Date(String(row.start_time)).getTime()).toBe(call.start.getTime());
    });
  });

  it('top-actions ranks ties by start time and trace id, whatever the limit and team filter', async () => {
    const tied = await openSeededLedger();
    try {
      // Five more actions costing exactly what the period's costliest action costs: ties at the top and at the limit.
      const top = tied.actions.filter((a) => inPeriod(a.start) && a.cost_nanos !== null).sort((a, b) => Number((b.cost_nanos ?? 0n) - (a.cost_nanos ?? 0n)))[0];
      const cost = top?.cost_nanos ?? 0n;
      const extra = [
        { trace_id: 'f0', team: 'ads', start: new Date('2026-11-02T10:00:00Z') },
        { trace_id: 'e0', team: null, start: new Date('2026-11-02T10:00:00Z') },
        { trace_id: 'd0', team: 'search', start: new Date('2026-10-20T08:00:00Z') },
        { trace_id: 'c0', team: 'ads', start: new Date('2026-11-15T23:59:59Z') },
        { trace_id: 'b0', team: 'support', start: new Date('2026-10-12T00:00:00Z') },
      ];
      for (const action of extra) {
        await tied.db.connection.run(
          `INSERT INTO actions (trace_id, action, service_name, team, start_time, end_time, calls, failed_calls, unpriced_calls,
             cost_usd, failed_cost_usd, models, complete, updated_at)
           VALUES ($trace, 'tie', 'svc', $team, $start::TIMESTAMP, $start::TIMESTAMP, 1, 0, 0, $cost::DECIMAL(18, 9), 0, [], true, $start::TIMESTAMP)`,
          { trace: action.trace_id, team: action.team, start: action.start.toISOString().slice(0, 19), cost: usd(cost) },
        );
      }
      const ranked = [...tied.actions.map((a) => ({ trace_id: a.trace_id, team: a.team, start: a.start, cost: a.cost_nanos })), ...extra.map((a) => ({ ...a, cost }))]
        .filter((a) => inPeriod(a.start) && a.cost !== null)
        .sort((a, b) => Number((b.cost ?? 0n) - (a.cost ?? 0n)) || a.start.getTime() - b.start.getTime() || (a.trace_id < b.trace_id ? -1 : 1));
      for (const teams of [null, ['ads'], ['(unallocated)', 'search']]) {
        const wanted = ranked.filter((a) => teams === null || teams.includes(teamLabel(a.team)));
        for (const limit of [1, 2, 3, 4, 6, 7, wanted.length + 1]) {
          const rows = await tied.run('top-actions', { ...period, limit: String(limit), ...(teams === null ? {} : { team: teams }) });
          expect(rows.map((r) => r.trace_id), `limit ${limit}, teams ${String(teams)}`).toEqual(wanted.slice(0, limit).map((a) => a.trace_id));
        }
      }
    } finally {
      await tied.db.close();
    }
  });

  it('top-actions lists the costliest actions with calls, tokens and models', async () => {
    const rows = await ledger.run('top-actions', { ...period, limit: '3' });
    const expected = ledger.actions
      .filter((a) => inPeriod(a.start) && a.cost_nanos !== null)
      .sort((a, b) => Number((b.cost_nanos ?? 0n) - (a.cost_nanos ?? 0n)) || a.start.getTime() - b.start.getTime())
      .slice(0, 3);
    expect(rows.map((r) => r.trace_id)).toEqual(expected.map((a) => a.trace_id));
    rows.forEach((row, index) => {
      const action = expected[index];
      expect(row).toMatchObject({
        action: action?.action,
        team: teamLabel(action?.team ?? null),
        calls: action?.calls,
        failed_calls: action?.failed_calls,
        unpriced_calls: action?.unpriced_calls,
        cost_usd: usd(action?.cost_nanos ?? null),
        failed_cost_usd: usd(action?.failed_cost_nanos ?? 0n),
        models: action?.models.join(', '),
        duration_ms: (action?.end.getTime() ?? 0) - (action?.start.getTime() ?? 0),
      });
    });
  });
});
