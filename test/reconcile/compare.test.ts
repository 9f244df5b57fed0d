import { describe, expect, it } from 'vitest';
import { type ComparedRow, compare } from '../../processor/src/reconcile/compare.js';
import { explainRow, type ExplainContext } from '../../processor/src/reconcile/explain.js';
import type { LedgerGroup } from '../../processor/src/reconcile/ledger-query.js';
import type { CostRecord, ProviderReport, UsageRecord } from '../../processor/src/reconcile/records.js';
import { spreadRemainder } from '../../processor/src/reconcile/spread.js';
import { beyondTolerance, type Tolerance } from '../../processor/src/reconcile/tolerance.js';

const tolerance: Tolerance = { percent: 2, minUsdNanos: 1_000_000_000n, minTokens: 10_000n, minRequests: 10n };
const period = { start: '2025-08-01', end: '2025-08-02' };

function usage(overrides: Partial<UsageRecord>): UsageRecord {
  return {
    day: '2025-08-01',
    model: 'claude-sonnet-4-20250514',
    projectId: null,
    apiKeyId: null,
    tier: null,
    requests: null,
    tokens: { input: 1_000_000n, cache_read: 0n, cache_write: 0n, output: 100_000n },
    ...overrides,
  };
}

function cost(overrides: Partial<CostRecord>): CostRecord {
  return { day: '2025-08-01', model: 'claude-sonnet-4-20250514', projectId: null, apiKeyId: null, tier: null, component: 'input', label: null, amountNanos: 0n, quantityTokens: null, ...overrides };
}

function ledger(overrides: Partial<LedgerGroup>): LedgerGroup {
  return {
    day: '2025-08-01',
    model: 'claude-sonnet-4',
    projectId: null,
    apiKeyId: null,
    calls: 10n,
    errorCalls: 0n,
    unpricedCalls: 0n,
    callsWithoutUsage: 0n,
    tokens: { input: 1_000_000n, cache_read: 0n, cache_write: 0n, output: 100_000n },
    costNanos: 4_500_000_000n,
    toolFees: new Map(),
    ...overrides,
  };
}

function report(usageRecords: UsageRecord[], costRecords: CostRecord[] | null): ProviderReport {
  return {
    provider: 'anthropic',
    usage: { records: usageRecords, days: new Set(['2025-08-01']), notes: [] },
    costs: costRecords === null ? null : { records: costRecords, days: new Set(['2025-08-01']), notes: [] },
  };
}

const context = (overrides: Partial<ExplainContext> = {}): ExplainContext => ({
  provider: 'anthropic',
  runAt: new Date('2025-08-03T06:00:00Z'),
  settleMs: 2 * 3_600_000,
  lastReceivedAt: new Date('2025-08-03T05:59:00Z'),
  ledgerModelsByDay: new Map([['2025-08-01', new Set(['claude-sonnet-4'])]]),
  tolerance,
  ...overrides,
});

function only(rows: ComparedRow[]): ComparedRow {
  expect(rows).toHaveLength(1);
  return rows[0] as ComparedRow;
}

describe('tolerance', () => {
  it('flags a difference only beyond both the percentage and the minimum', () => {
    expect(beyondTolerance(100_000_000_000n, 98_500_000_000n, 'usd', tolerance)).toBe(false); // 1.5%
    expect(beyondTolerance(100_000_000_000n, 97_900_000_000n, 'usd', tolerance)).toBe(true); // 2.1%, $2.10
    expect(beyondTolerance(10_000_000_000n, 9_000_000_000n, 'usd', tolerance)).toBe(false); // 10% but $1.00 is not beyond $1
    expect(beyondTolerance(0n, 1_000_001_000n, 'usd', tolerance)).toBe(true); // ledger only
    expect(beyondTolerance(600n, 0n, 'requests', tolerance)).toBe(true);
    expect(beyondTolerance(9n, 0n, 'requests', tolerance)).toBe(false);
  });
});

describe('compare and explain', () => {
  it('joins per workspace only when every ledger call carries it, and says so when not', () => {
    const records = [usage({ projectId: 'wrkspc_A' }), usage({ projectId: null, model: 'claude-3-5-haiku-20241022', tokens: { input: 5n, cache_read: 0n, cache_write: 0n, output: 5n } })];
    const full = compare({ provider: 'anthropic', report: report(records, null), ledger: [ledger({ projectId: 'wrkspc_A' }), ledger({ projectId: 'default', model: 'claude-3-5-haiku', calls: 1n, tokens: { input: 5n, cache_read: 0n, cache_write: 0n, output: 5n } })], period, scope: 'auto', tolerance });
    expect(full.granularity.usage).toEqual({ byModel: true, scope: 'project' });
    expect(full.rows.map((r) => [r.model, r.scope])).toEqual([['claude-3-5-haiku', 'default'], ['claude-sonnet-4', 'wrkspc_A']]);

    const partial = compare({ provider: 'anthropic', report: report(records, null), ledger: [ledger({ projectId: 'wrkspc_A', calls: 7n }), ledger({ projectId: null, calls: 3n, model: 'claude-3-5-haiku' })], period, scope: 'auto', tolerance });
    expect(partial.granularity.usage).toEqual({ byModel: true, scope: 'none' });
    expect(partial.notes).toEqual(['usage: ledger: 7 of 10 calls carry the anthropic.workspace.id attribute; compared without it']);
  });

  it('compares cost for all models together when the cost report is not itemised by model', () => {
    const costs = [cost({ model: null, component: 'other', amountNanos: 4_500_000_000n })];
    const result = compare({ provider: 'anthropic', report: report([usage({})], costs), ledger: [ledger({})], period, scope: 'auto', tolerance });
    expect(result.rows.map((r) => [r.model, r.cells.map((c) => c.metric)])).toEqual([
      ['*', ['cost_usd']],
      ['claude-sonnet-4', ['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens']],
    ]);
    expect(result.rows[0]?.cells[0]?.delta).toBe(0n);
  });

  it('suspects late spans when the day has just ended', () => {
    const row = only(compare({ provider: 'anthropic', report: report([usage({})], null), ledger: [ledger({ calls: 6n, tokens: { input: 600_000n, cache_read: 0n, cache_write: 0n, output: 60_000n } })], period, scope: 'auto', tolerance }).rows);
    const causes = explainRow(row, context({ runAt: new Date('2025-08-02T01:00:00Z') }));
    expect(causes.map((c) => c.code)).toEqual(['not_yet_arrived', 'missing_calls']);
    expect(causes[0]?.message).toBe('2025-08-01 ended less than 2h before this run: spans may still be on their way; re-run later');
    expect(causes[1]?.message).toContain("the ledger has 60.0% of the provider's tokens for claude-sonnet-4 on 2025-08-01");
  });

  it('suspects a stalled pipeline when nothing arrived since before the day ended', () => {
    const row = only(compare({ provider: 'anthropic', report: report([usage({})], null), ledger: [ledger({ calls: 6n, tokens: { input: 600_000n, cache_read: 0n, cache_write: 0n, output: 60_000n } })], period, scope: 'auto', tolerance }).rows);
    const causes = explainRow(row, context({ lastReceivedAt: new Date('2025-08-01T18:00:00Z') }));
    expect(causes[0]).toEqual({
      code: 'not_yet_arrived',
      message: 'the ledger has received no anthropic call since 2025-08-01T18:00:00.000Z, before 2025-08-01 ended: spans may be queued or dropped upstream (exporter queue, collector, processor back-pressure)',
    });
  });

  it('names batch and priority tiers and unpriced calls when only the cost differs', () => {
    const records = [usage({ tier: 'batch' })];
    const costs = [cost({ tier: 'batch', amountNanos: 2_250_000_000n })];
    const row = only(compare({ provider: 'anthropic', report: report(records, costs), ledger: [ledger({ unpricedCalls: 1n })], period, scope: 'auto', tolerance }).rows);
    expect(row.cells.find((c) => c.metric === 'cost_usd')).toMatchObject({ provider: 2_250_000_000n, ledger: 4_500_000_000n, delta: -2_250_000_000n, deltaPercent: -100, beyondTolerance: true });
    expect(explainRow(row, context()).map((c) => [c.code, c.message])).toEqual([
      ['rate_difference', 'tokens agree, but the billed cost is 50.0% of the price-book cost: the billed rates differ from the price book (a negotiated discount, or a price change the book lacks); put the contract rates in a --prices file'],
      ['service_tier', 'usage on non-standard service tiers (batch: 1100000 tokens, $2.25): batch and flex are billed below, priority above the standard rates, which the ledger applies to every call whose span names no tier (openai.response.service_tier)'],
      ['unpriced_calls', "1 ledger calls for claude-sonnet-4 on 2025-08-01 have no price (the model, its rates for the call's service tier, or a hosted-tool fee missing from the price book), so the ledger cost is short"],
    ]);
  });

  it('names 1-hour cache writes the spans did not tell apart when Anthropic bills more for the same tokens', () => {
    // Sonnet 4: 8M uncached × $3 + 2M cache writes × $3.75 + 1M output × $15 per million = $46.50 in the ledger; the
    // writes were all for an hour, billed at $6/M: $51.
    const tokens = { input: 10_000_000n, cache_read: 0n, cache_write: 2_000_000n, output: 1_000_000n };
    const row = only(
      compare({
        provider: 'anthropic',
        report: report([usage({ tokens })], [cost({ amountNanos: 51_000_000_000n })]),
        ledger: [ledger({ tokens, costNanos: 46_500_000_000n })],
        period,
        scope: 'auto',
        tolerance,
      }).rows,
    );
    expect(explainRow(row, context())).toEqual([
      {
        code: 'rate_difference',
        message:
          'tokens agree, but the billed cost is 109.7% of the price-book cost: the billed rates differ from the price book (a negotiated ' +
          'discount, or a price change the book lacks); put the contract rates in a --prices file; or 1-hour cache writes the spans did ' +
          'not tell apart (only the genai-chargeback preload records them), priced at the 5-minute rate',
      },
    ]);
  });

  it('points at failed calls when the ledger counts more than the provider', () => {
    const records = [usage({ requests: 10n })];
    const row = only(compare({ provider: 'openai', report: { ...report(records, null), provider: 'openai' }, ledger: [ledger({ calls: 25n, errorCalls: 15n })], period, scope: 'auto', tolerance }).rows);
    expect(row.cells[0]).toMatchObject({ metric: 'requests', provider: 10n, ledger: 25n, delta: -15n, beyondTolerance: true });
    expect(explainRow(row, context({ provider: 'openai' })).map((c) => c.code)).toEqual(['failed_calls', 'ledger_exceeds']);
  });

  it('tells a project without the preload from a non-model charge', () => {
    const records = [usage({ projectId: 'wrkspc_A' }), usage({ projectId: 'wrkspc_B' })];
    const costs = [
      cost({ projectId: 'wrkspc_A', amountNanos: 4_500_000_000n }),
      cost({ model: null, component: 'other', label: 'Code Execution Usage', projectId: 'wrkspc_A', amountNanos: 5_000_000_000n }),
    ];
    const result = compare({ provider: 'anthropic', report: report(records, costs), ledger: [ledger({ projectId: 'wrkspc_A' })], period, scope: 'auto', tolerance });
    const causes = result.rows.filter((r) => r.cells.some((c) => c.beyondTolerance)).map((r) => [r.model, r.scope, explainRow(r, context())]);
    expect(causes).toEqual([
      ['charge: Code Execution Usage', 'wrkspc_A', [{ code: 'non_model_charge', message: '"Code Execution Usage" is not a model token charge; the ledger records no such cost (code execution, images, storage)' }]],
      ['claude-sonnet-4', 'wrkspc_B', [{ code: 'not_instrumented', message: 'no ledger calls for workspace wrkspc_B (claude-sonnet-4, 2025-08-01): a service using it runs without the preload' }]],
    ]);
  });

  it("moves the ledger's web search fees to the provider's web search charge when compared by model, and keeps them in '*'", () => {
    // $4.50 of the ledger's cost is tokens, $2.00 web search fees (200 searches); Anthropic bills them as "Web Search Usage".
    const group = ledger({ costNanos: 6_500_000_000n, toolFees: new Map([['web search', 2_000_000_000n]]) });
    const costs = [cost({ amountNanos: 4_500_000_000n }), cost({ model: null, component: 'other', label: 'Web Search Usage', amountNanos: 2_000_000_000n })];
    const byModel = compare({ provider: 'anthropic', report: report([usage({})], costs), ledger: [group], period, scope: 'auto', tolerance });
    expect(byModel.rows.map((r) => [r.model, r.cells.find((c) => c.metric === 'cost_usd')?.delta ?? null])).toEqual([
      ['charge: web search', 0n],
      ['claude-sonnet-4', 0n],
    ]);

    const fewerSearches = [costs[0] as CostRecord, cost({ model: null, component: 'other', label: 'Web Search Usage', amountNanos: 500_000_000n })];
    const short = compare({ provider: 'anthropic', report: report([usage({})], fewerSearches), ledger: [group], period, scope: 'auto', tolerance });
    const charge = short.rows.find((r) => r.model === 'charge: web search') as ComparedRow;
    expect(charge.cells).toEqual([expect.objectContaining({ provider: 500_000_000n, ledger: 2_000_000_000n, delta: -1_500_000_000n, beyondTolerance: true })]);
    expect(explainRow(charge, context())).toEqual([
      expect.objectContaining({ code: 'non_model_charge', message: expect.stringContaining("the ledger's web search fees (the price book's per_tool_call rates") }),
    ]);

    // A label naming a model beside the tool ("gpt-4o, web search tool calls") is still the web search charge.
    const labelled = [costs[0] as CostRecord, cost({ model: 'claude-sonnet-4-20250514', component: 'other', label: 'claude-sonnet-4, Web search tool calls', amountNanos: 2_000_000_000n })];
    const byLabel = compare({ provider: 'anthropic', report: report([usage({})], labelled), ledger: [group], period, scope: 'auto', tolerance });
    expect(byLabel.rows.map((r) => [r.model, r.cells.find((c) => c.metric === 'cost_usd')?.delta ?? null])).toEqual([
      ['charge: web search', 0n],
      ['claude-sonnet-4', 0n],
    ]);

    const allModels = [cost({ model: null, component: 'other', amountNanos: 6_500_000_000n })];
    const together = compare({ provider: 'anthropic', report: report([usage({})], allModels), ledger: [group], period, scope: 'auto', tolerance });
    expect(together.rows.map((r) => [r.model, r.cells.find((c) => c.metric === 'cost_usd')?.ledger ?? null])).toEqual([
      ['*', 6_500_000_000n],
      ['claude-sonnet-4', null],
    ]);
  });

  it('reads volume from the token quantities a cost report itemises when there is no usage report', () => {
    const costs = [
      cost({ component: 'input', amountNanos: 6_000_000_000n, quantityTokens: 2_000_000n }),
      cost({ component: 'output', amountNanos: 3_000_000_000n, quantityTokens: 200_000n }),
    ];
    const costsOnly: ProviderReport = { provider: 'anthropic', usage: null, costs: { records: costs, days: new Set(['2025-08-01']), notes: [] } };
    const row = only(compare({ provider: 'anthropic', report: costsOnly, ledger: [ledger({})], period, scope: 'auto', tolerance }).rows);
    expect(row.cells.map((c) => [c.metric, c.delta, c.beyondTolerance])).toEqual([['cost_usd', 4_500_000_000n, true]]);
    expect(explainRow(row, context())).toEqual([
      { code: 'missing_calls', message: "the ledger has 50.0% of the provider's tokens for claude-sonnet-4 on 2025-08-01: calls are missing — a service without the preload, or dropped spans" },
    ]);
  });

  it('explains nothing within tolerance', () => {
    const row = only(compare({ provider: 'anthropic', report: report([usage({})], null), ledger: [ledger({})], period, scope: 'auto', tolerance }).rows);
    expect(explainRow(row, context())).toEqual([]);
  });
});

describe('spreading the remainder', () => {
  it('sums to the invoice to the nano-dollar, leftovers to the largest fractions', () => {
    const teams = [
      { team: 'a', costNanos: 1n, calls: 1n, unpricedCalls: 0n },
      { team: 'b', costNanos: 1n, calls: 1n, unpricedCalls: 0n },
      { team: 'c', costNanos: 1n, calls: 1n, unpricedCalls: 0n },
      { team: null, costNanos: 7n, calls: 1n, unpricedCalls: 0n },
    ];
    const spread = spreadRemainder(20n, teams);
    expect(spread.remainderNanos).toBe(10n);
    expect(spread.lines.map((l) => [l.team, l.remainderNanos, l.totalNanos])).toEqual([
      ['a', 4n, 5n],
      ['b', 3n, 4n],
      ['c', 3n, 4n],
      [null, 0n, 7n],
    ]);
    expect(spread.lines.reduce((sum, l) => sum + l.totalNanos, 0n)).toBe(20n);
  });

  it('takes a negative remainder (a discount) off in proportion', () => {
    const spread = spreadRemainder(12_544_000_000n, [
      { team: 'checkout', costNanos: 15_400_000_000n, calls: 14n, unpricedCalls: 0n },
      { team: 'search', costNanos: 280_000_000n, calls: 5n, unpricedCalls: 0n },
    ]);
    expect(spread.lines.map((l) => [l.team, l.remainderNanos, l.totalNanos])).toEqual([
      ['checkout', -3_080_000_000n, 12_320_000_000n],
      ['search', -56_000_000n, 224_000_000n],
    ]);
  });

  it('keeps the remainder visible on the unallocated line when no team has spend', () => {
    const spread = spreadRemainder(5_000_000_000n, []);
    expect(spread.lines).toEqual([{ team: null, directNanos: 0n, remainderNanos: 5_000_000_000n, totalNanos: 5_000_000_000n }]);
  });
});
