import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCostFile, readUsageFile } from '../../processor/src/reconcile/parse/read-report.js';
import type { ReconcileProvider } from '../../processor/src/reconcile/records.js';
import { type ReconciliationRun, reconcile } from '../../processor/src/reconcile/run.js';
import { storeRun } from '../../processor/src/reconcile/store.js';
import { type Database, openDatabase, queriesDir } from '../../processor/src/store/database.js';
import { P1, P2, W1, anthropicCalls, openAiCalls, seedLedger } from './ledger-seed.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const tolerance = { percent: 2, minUsdNanos: 1_000_000_000n, minTokens: 10_000n, minRequests: 10n };
let db: Database;
/** Each run a minute after the previous one, so "newest run" is well defined. */
let clock = Date.parse('2025-08-05T06:00:00Z');

beforeAll(async () => {
  db = await openDatabase(':memory:');
  await seedLedger(db, [...openAiCalls(), ...anthropicCalls()]);
});
afterAll(async () => {
  await db.close();
});

async function run(
  provider: ReconcileProvider,
  files: { usage?: string; costs?: string },
  options: { period?: { start: string; end: string }; spreadMonth?: string } = {},
): Promise<ReconciliationRun> {
  const report = {
    provider,
    usage: files.usage === undefined ? null : await readUsageFile(provider, join(fixtures, files.usage)),
    costs: files.costs === undefined ? null : await readCostFile(provider, join(fixtures, files.costs)),
  };
  const result = await reconcile(db.connection, {
    provider,
    report,
    period: options.period ?? { start: '2025-08-01', end: '2025-08-03' },
    scope: 'auto',
    tolerance,
    settleMs: 7_200_000,
    runAt: new Date((clock += 60_000)),
    source: 'files',
    inputs: Object.values(files),
    spreadMonth: options.spreadMonth ?? null,
  });
  await storeRun(db.connection, result);
  return result;
}

/** day model scope → metric → [provider, ledger, delta, beyond]. */
function cellTable(result: ReconciliationRun): Record<string, Record<string, [string, string, string, boolean]>> {
  return Object.fromEntries(
    result.rows.map((row) => [
      `${row.day} ${row.model} ${row.scope}`,
      Object.fromEntries(row.cells.map((c) => [c.metric, [c.provider.toString(), c.ledger.toString(), c.delta.toString(), c.beyondTolerance]])),
    ]),
  );
}

describe('reconciling the OpenAI reports with a seeded ledger', () => {
  it('matches exactly, per UTC day, base model and project', async () => {
    const result = await run('openai', { usage: 'openai/usage-completions.json', costs: 'openai/costs.json' });
    expect(result.withinTolerance).toBe(true);
    expect(result.granularity).toEqual({ usage: { byModel: true, scope: 'project' }, costs: { byModel: true, scope: 'project' } });
    expect(cellTable(result)).toEqual({
      [`2025-08-01 gpt-4.1 ${P1}`]: {
        requests: ['10', '10', '0', false],
        input_tokens: ['3000000', '3000000', '0', false],
        cache_read_tokens: ['2000000', '2000000', '0', false],
        cache_write_tokens: ['0', '0', '0', false],
        output_tokens: ['500000', '500000', '0', false],
        cost_usd: ['11000000000', '11000000000', '0', false],
      },
      [`2025-08-01 gpt-4.1-mini ${P2}`]: {
        requests: ['5', '5', '0', false],
        input_tokens: ['500000', '500000', '0', false],
        cache_read_tokens: ['0', '0', '0', false],
        cache_write_tokens: ['0', '0', '0', false],
        output_tokens: ['50000', '50000', '0', false],
        cost_usd: ['280000000', '280000000', '0', false],
      },
      [`2025-08-02 gpt-4.1 ${P1}`]: {
        requests: ['4', '4', '0', false],
        input_tokens: ['1200000', '1200000', '0', false],
        cache_read_tokens: ['800000', '800000', '0', false],
        cache_write_tokens: ['0', '0', '0', false],
        output_tokens: ['200000', '200000', '0', false],
        cost_usd: ['4400000000', '4400000000', '0', false],
      },
    });
    expect([result.providerCostNanos, result.ledgerCostNanos]).toEqual([15_680_000_000n, 15_680_000_000n]);
  });

  it('puts a call at 23:59:59.999Z on its day and one at 00:00:00.000Z on the next, in UTC', async () => {
    const first = await run('openai', { usage: 'openai/usage-completions.json' }, { period: { start: '2025-08-01', end: '2025-08-02' } });
    expect(first.rows.map((r) => [r.day, r.model, r.ledger.calls])).toEqual([
      ['2025-08-01', 'gpt-4.1', 10n],
      ['2025-08-01', 'gpt-4.1-mini', 5n],
    ]);
    const second = await run('openai', { usage: 'openai/usage-completions.json' }, { period: { start: '2025-08-02', end: '2025-08-03' } });
    expect(second.rows.map((r) => [r.day, r.model, r.ledger.calls])).toEqual([['2025-08-02', 'gpt-4.1', 4n]]);
    // No ledger call strayed outside its day's period.
    expect([first.notes, second.notes, first.withinTolerance, second.withinTolerance]).toEqual([[], [], true, true]);
  });

  it('flags a service the instrumentation never saw and a model called through another path', async () => {
    const result = await run('openai', { usage: 'openai/usage-missing-service.json', costs: 'openai/costs-missing-service.json' });
    expect(result.withinTolerance).toBe(false);
    const cells = cellTable(result);
    expect(cells[`2025-08-01 gpt-4.1 ${P1}`]).toEqual({
      requests: ['13', '10', '3', false], // 3 requests: under the 10-request minimum
      input_tokens: ['3900000', '3000000', '900000', true],
      cache_read_tokens: ['2600000', '2000000', '600000', true],
      cache_write_tokens: ['0', '0', '0', false],
      output_tokens: ['650000', '500000', '150000', true],
      cost_usd: ['14300000000', '11000000000', '3300000000', true],
    });
    expect(cells['2025-08-01 o3 proj_Qw7ErT2yUi9OpA4sDf6GhJ1K']?.output_tokens).toEqual(['30000', '0', '30000', true]);
    const causes = Object.fromEntries(result.rows.map((r) => [`${r.day} ${r.model}`, r.causes.map((c) => c.code)]));
    expect(causes).toEqual({ '2025-08-01 gpt-4.1': ['missing_calls'], '2025-08-01 gpt-4.1-mini': [], '2025-08-01 o3': ['other_path'], '2025-08-02 gpt-4.1': [] });
    expect(result.rows[0]?.causes[0]?.message).toBe(
      `the ledger saw 10 of 13 requests for project ${P1} (gpt-4.1, 2025-08-01); tokens per call agree, so whole calls are missing: a service without the preload, or dropped spans`,
    );
    expect(result.cellsBeyond).toBe(6);
  });

  it('sees a negotiated discount: tokens match, the billed cost is 80% of the book', async () => {
    const result = await run('openai', { usage: 'openai/usage-completions.json', costs: 'openai/costs-discount.json' });
    const flagged = result.rows.flatMap((r) => r.cells.filter((c) => c.beyondTolerance).map((c) => `${r.day} ${r.model} ${c.metric} ${c.delta}`));
    // Only day 1's gpt-4.1 is beyond $1: the other rows are 20% off too but by less than the minimum.
    expect(flagged).toEqual(['2025-08-01 gpt-4.1 cost_usd -2200000000']);
    expect(result.rows[0]?.causes).toEqual([
      {
        code: 'rate_difference',
        message:
          'tokens agree, but the billed cost is 80.0% of the price-book cost: the billed rates differ from the price book (a negotiated discount, or a price change the book lacks); put the contract rates in a --prices file (billed: input $1.6000/M, cache read $0.4000/M, output $6.4000/M)',
      },
    ]);
  });

  it('spreads a month remainder so the chargeback sums to the invoice, and stores it', async () => {
    const result = await run('openai', { usage: 'openai/usage-completions.json', costs: 'openai/costs-discount.json' }, { period: { start: '2025-08-01', end: '2025-09-01' }, spreadMonth: '2025-08' });
    const stored = await db.connection.runAndReadAll(
      `SELECT team, CAST(direct_cost_usd AS VARCHAR) AS direct, CAST(remainder_usd AS VARCHAR) AS remainder, CAST(chargeback_usd AS VARCHAR) AS total
       FROM reconciliation_spreads WHERE run_id = $run ORDER BY team`,
      { run: result.runId },
    );
    expect(stored.getRowObjectsJS()).toEqual([
      { team: 'checkout', direct: '15.400000000', remainder: '-3.080000000', total: '12.320000000' },
      { team: 'search', direct: '0.280000000', remainder: '-0.056000000', total: '0.224000000' },
    ]);
    expect(result.spread?.invoiceNanos).toBe(12_544_000_000n);
  });
});

describe('reconciling the Anthropic reports', () => {
  it('matches per workspace (null = default) with cache writes by TTL, and web search fees to their own charge', async () => {
    const result = await run('anthropic', { usage: 'anthropic/usage.json', costs: 'anthropic/costs.json' });
    expect(result.withinTolerance).toBe(true);
    expect(cellTable(result)).toEqual({
      // The ledger's sonnet-4 cost holds $0.14 of web search fees: compared with the provider's charge, not the model.
      [`2025-08-01 charge: web search ${W1}`]: { cost_usd: ['140000000', '140000000', '0', false] },
      '2025-08-01 claude-3-5-haiku default': {
        input_tokens: ['120000', '120000', '0', false],
        cache_read_tokens: ['0', '0', '0', false],
        cache_write_tokens: ['0', '0', '0', false],
        output_tokens: ['40000', '40000', '0', false],
        // Batch is billed at half the standard rate the ledger applied: real, but under $1.
        cost_usd: ['128000000', '256000000', '-128000000', false],
      },
      [`2025-08-01 claude-sonnet-4 ${W1}`]: {
        input_tokens: ['400000', '400000', '0', false],
        cache_read_tokens: ['1600000', '1600000', '0', false],
        cache_write_tokens: ['80000', '80000', '0', false],
        output_tokens: ['40000', '40000', '0', false],
        cost_usd: ['2580000000', '2580000000', '0', false],
      },
    });
    expect(result.rows.find((r) => r.model === 'claude-3-5-haiku')?.tiers).toEqual(new Map([['batch', { tokens: 160_000n, costNanos: 128_000_000n }]]));
  });
});

describe('stored runs and the trend report', () => {
  it('keeps every run and its deltas; the trend takes the newest run per day and metric', async () => {
    const exact = await run('openai', { usage: 'openai/usage-completions.json', costs: 'openai/costs.json' });
    const runRow = await db.connection.runAndReadAll(
      `SELECT provider, source, period_start::VARCHAR AS s, period_end::VARCHAR AS e, usage_scope, cost_scope, rows_compared, cells_beyond,
              CAST(provider_cost_usd AS VARCHAR) AS p, CAST(ledger_cost_usd AS VARCHAR) AS l, within_tolerance, inputs
       FROM reconciliation_runs WHERE run_id = $run`,
      { run: exact.runId },
    );
    expect(runRow.getRowObjectsJS()).toEqual([
      { provider: 'openai', source: 'files', s: '2025-08-01', e: '2025-08-03', usage_scope: 'project', cost_scope: 'project', rows_compared: 3, cells_beyond: 0, p: '15.680000000', l: '15.680000000', within_tolerance: true, inputs: ['openai/usage-completions.json', 'openai/costs.json'] },
    ]);
    const deltaCount = await db.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM reconciliation_deltas WHERE run_id = $run', { run: exact.runId });
    expect(deltaCount.getRowObjectsJS()).toEqual([{ n: 18 }]);

    // A later costs-only re-run (the discount) replaces day 1's cost but not its tokens.
    await run('openai', { costs: 'openai/costs-discount.json' }, { period: { start: '2025-08-01', end: '2025-08-02' } });
    const sql = await readFile(join(queriesDir, 'reconciliation-trend.sql'), 'utf8');
    const trend = await db.connection.runAndReadAll(sql, { since: '2025-08-01', until: '2025-08-03', provider: 'openai', metric: null });
    const rows = trend.getRowObjectsJson().map((r) => [r.day, r.metric, r.provider_value, r.delta, r.delta_pct, r.delta_pct_7d, r.cells_beyond, r.causes]);
    expect(rows.filter((r) => r[1] === 'cost_usd' || r[1] === 'requests')).toEqual([
      ['2025-08-01', 'cost_usd', '9.024000000', '-2.256000000', -25, -25, '1', ['rate_difference']],
      ['2025-08-02', 'cost_usd', '4.400000000', '0.000000000', 0, -12.5, '0', []],
      ['2025-08-01', 'requests', '15.000000000', '0.000000000', 0, 0, '0', []],
      ['2025-08-02', 'requests', '4.000000000', '0.000000000', 0, 0, '0', []],
    ]);
  });
});
