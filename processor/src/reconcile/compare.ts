import type { LedgerGroup, LedgerStats, Period } from './ledger-query.js';
import { addStats, emptyStats } from './ledger-query.js';
import { hostedToolCharge } from './charges.js';
import { baseModelId } from '../pricing/model-id.js';
import {
  type CostComponent,
  type CostRecord,
  type ProviderDimensions,
  type ProviderReport,
  type ReconcileProvider,
  type TokenCounts,
  type UsageRecord,
  tokenKinds,
  zeroTokens,
} from './records.js';
import { type Granularity, type ScopeKind, type ScopeRequest, chooseGranularity, ledgerScope, providerScope } from './scope.js';
import { type Tolerance, type Unit, beyondTolerance } from './tolerance.js';

/**
 * The pure comparison: provider records and ledger groups summed to the same keys — UTC day, base model, and the
 * project/workspace or API key where both sides have it — then one cell per metric with the difference
 * `provider − ledger` (positive: billed but not in the ledger) and whether it is beyond tolerance.
 */

export type Metric = 'requests' | 'input_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'output_tokens' | 'cost_usd';

export interface Cell {
  metric: Metric;
  unit: Unit;
  /** Counts, or nano-dollars for `cost_usd`. */
  provider: bigint;
  ledger: bigint;
  delta: bigint;
  /** delta / provider in percent; null when the provider's value is 0. */
  deltaPercent: number | null;
  beyondTolerance: boolean;
}

export interface TierUse {
  tokens: bigint;
  costNanos: bigint;
}

export interface BilledComponent {
  costNanos: bigint;
  quantityTokens: bigint | null;
}

export interface ComparedRow {
  day: string;
  provider: ReconcileProvider;
  /** Base model id; `*` when the report is not grouped by model; `charge: <label>` for a non-model charge. */
  model: string;
  scopeKind: ScopeKind;
  /** Project/workspace or API key id; `*` when not compared by scope. */
  scope: string;
  cells: Cell[];
  ledger: LedgerStats;
  /** Usage and cost on non-standard service tiers (batch, priority, flex, …), from the provider side. */
  tiers: Map<string, TierUse>;
  /** The provider's cost split by token kind, when the cost report is itemised. */
  billed: Map<CostComponent, BilledComponent>;
}

export interface CompareInput {
  provider: ReconcileProvider;
  report: ProviderReport;
  ledger: readonly LedgerGroup[];
  period: Period;
  scope: ScopeRequest;
  tolerance: Tolerance;
}

export interface Comparison {
  rows: ComparedRow[];
  granularity: { usage: Granularity | null; costs: Granularity | null };
  notes: string[];
}

const tokenMetric: Record<(typeof tokenKinds)[number], Metric> = {
  input: 'input_tokens',
  cache_read: 'cache_read_tokens',
  cache_write: 'cache_write_tokens',
  output: 'output_tokens',
};

const standardTiers = new Set(['standard', 'default', 'auto']);

interface Accumulator {
  row: ComparedRow;
  usage: { requests: bigint | null; tokens: TokenCounts } | null;
  costNanos: bigint | null;
}

export function compare(input: CompareInput): Comparison {
  const { provider, report, period } = input;
  const inPeriod = (day: string): boolean => day >= period.start && day < period.end;
  const notes: string[] = [];
  const rows = new Map<string, Accumulator>();
  const rowFor = (day: string, model: string, scopeKind: ScopeKind, scope: string): Accumulator => {
    const key = JSON.stringify([day, model, scopeKind, scope]);
    let accumulator = rows.get(key);
    if (!accumulator) {
      const row: ComparedRow = {
        day,
        provider,
        model,
        scopeKind,
        scope,
        cells: [],
        ledger: emptyStats(),
        tiers: new Map(),
        billed: new Map(),
      };
      accumulator = { row, usage: null, costNanos: null };
      rows.set(key, accumulator);
    }
    return accumulator;
  };

  const usageDays = new Set([...(report.usage?.days ?? [])].filter(inPeriod));
  const costDays = new Set([...(report.costs?.days ?? [])].filter(inPeriod));
  const ledgerInUsage = input.ledger.filter((g) => usageDays.has(g.day));
  const ledgerInCosts = input.ledger.filter((g) => costDays.has(g.day));

  let usageGranularity: Granularity | null = null;
  if (report.usage) {
    const records = report.usage.records.filter((r) => inPeriod(r.day));
    const choice = chooseGranularity(provider, 'usage', records, ledgerInUsage, input.scope);
    usageGranularity = choice.granularity;
    notes.push(...choice.notes);
    const keyOf = usageKeyOf(provider, usageGranularity);
    for (const record of records) addUsage(rowFor(...keyOf(record)), record);
    for (const group of ledgerInUsage) {
      const accumulator = rowFor(...ledgerKeyOf(usageGranularity, group));
      accumulator.usage ??= { requests: provider === 'openai' ? 0n : null, tokens: zeroTokens() };
    }
  }

  let costGranularity: Granularity | null = null;
  if (report.costs) {
    const records = report.costs.records.filter((r) => inPeriod(r.day));
    const choice = chooseGranularity(provider, 'costs', records, ledgerInCosts, input.scope);
    costGranularity = choice.granularity;
    notes.push(...choice.notes);
    const keyOf = costKeyOf(provider, costGranularity);
    for (const record of records) addCost(rowFor(...keyOf(record)), record);
    for (const group of ledgerInCosts) rowFor(...ledgerKeyOf(costGranularity, group)).costNanos ??= 0n;
  }

  // A ledger group adds to its usage row and its cost row, once if they are the same row. Compared by model, its
  // tool fees go to the charge rows the provider bills them under, as the provider's model rows leave them out.
  for (const group of input.ledger) {
    const keys = new Set<Accumulator>();
    if (usageGranularity && usageDays.has(group.day)) keys.add(rowFor(...ledgerKeyOf(usageGranularity, group)));
    const costs = costGranularity && costDays.has(group.day) ? costGranularity : null;
    if (costs) keys.add(rowFor(...ledgerKeyOf(costs, group)));
    const splitFees = costs !== null && costs.byModel && group.toolFees.size > 0;
    const stats = splitFees ? { ...group, costNanos: group.costNanos - sum(group.toolFees.values()) } : group;
    for (const accumulator of keys) addStats(accumulator.row.ledger, stats);
    if (!splitFees) continue;
    for (const [label, feeNanos] of group.toolFees) {
      const charge = rowFor(group.day, `charge: ${label}`, costs.scope, ledgerScope(costs.scope, group));
      charge.costNanos ??= 0n;
      charge.row.ledger.costNanos += feeNanos;
    }
  }

  const uncovered = [...new Set(input.ledger.map((g) => g.day))].filter((day) => !usageDays.has(day) && !costDays.has(day)).sort();
  if (uncovered.length > 0) notes.push(`the provider's reports do not cover ${uncovered.join(', ')}: ledger calls on those days were not compared`);

  const result = [...rows.values()].map(({ row, usage, costNanos }) => {
    if (usage) {
      if (usage.requests !== null) row.cells.push(cell('requests', 'requests', usage.requests, row.ledger.calls, input.tolerance));
      for (const kind of tokenKinds) row.cells.push(cell(tokenMetric[kind], 'tokens', usage.tokens[kind], row.ledger.tokens[kind], input.tolerance));
    }
    if (costNanos !== null) row.cells.push(cell('cost_usd', 'usd', costNanos, row.ledger.costNanos, input.tolerance));
    return row;
  });
  result.sort(byKey);
  return { rows: result, granularity: { usage: usageGranularity, costs: costGranularity }, notes };
}

type RowKey = [day: string, model: string, scopeKind: ScopeKind, scope: string];

function byKey(a: ComparedRow, b: ComparedRow): number {
  for (const field of ['day', 'model', 'scope', 'scopeKind'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

function usageKeyOf(provider: ReconcileProvider, granularity: Granularity): (record: UsageRecord) => RowKey {
  return (record) => {
    const model = granularity.byModel && record.model !== null ? baseModelId(record.model) : '*';
    return [record.day, model, granularity.scope, providerScope(provider, granularity.scope, record)];
  };
}

function costKeyOf(provider: ReconcileProvider, granularity: Granularity): (record: CostRecord) => RowKey {
  return (record) => {
    // A hosted-tool charge goes to its charge row even when the label names a model: the ledger moves the fees there.
    const toolCharge = hostedToolCharge(record.label);
    const model = !granularity.byModel
      ? '*'
      : toolCharge !== null
        ? `charge: ${toolCharge}`
        : record.model !== null
          ? baseModelId(record.model)
          : `charge: ${record.label ?? 'unlabelled'}`;
    return [record.day, model, granularity.scope, providerScope(provider, granularity.scope, record)];
  };
}

function ledgerKeyOf(granularity: Granularity, group: LedgerGroup): RowKey {
  return [group.day, granularity.byModel ? group.model : '*', granularity.scope, ledgerScope(granularity.scope, group)];
}

function addUsage(accumulator: Accumulator, record: UsageRecord): void {
  const usage = (accumulator.usage ??= { requests: record.requests === null ? null : 0n, tokens: zeroTokens() });
  if (usage.requests !== null && record.requests !== null) usage.requests += record.requests;
  for (const kind of tokenKinds) usage.tokens[kind] += record.tokens[kind];
  const tier = nonStandardTier(record);
  if (tier !== null) {
    const use = tierUse(accumulator.row, tier);
    for (const kind of tokenKinds) use.tokens += record.tokens[kind];
  }
}

function addCost(accumulator: Accumulator, record: CostRecord): void {
  accumulator.costNanos = (accumulator.costNanos ?? 0n) + record.amountNanos;
  const { row } = accumulator;
  const billed = row.billed.get(record.component) ?? { costNanos: 0n, quantityTokens: 0n };
  billed.costNanos += record.amountNanos;
  billed.quantityTokens = billed.quantityTokens === null || record.quantityTokens === null ? null : billed.quantityTokens + record.quantityTokens;
  row.billed.set(record.component, billed);
  const tier = nonStandardTier(record);
  if (tier !== null) tierUse(row, tier).costNanos += record.amountNanos;
}

function nonStandardTier(record: ProviderDimensions): string | null {
  return record.tier === null || standardTiers.has(record.tier) ? null : record.tier;
}

function tierUse(row: ComparedRow, tier: string): TierUse {
  let use = row.tiers.get(tier);
  if (!use) {
    use = { tokens: 0n, costNanos: 0n };
    row.tiers.set(tier, use);
  }
  return use;
}

function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const value of values) total += value;
  return total;
}

function cell(metric: Metric, unit: Unit, provider: bigint, ledger: bigint, tolerance: Tolerance): Cell {
  const delta = provider - ledger;
  return {
    metric,
    unit,
    provider,
    ledger,
    delta,
    deltaPercent: provider === 0n ? null : (Number(delta) / Number(provider)) * 100,
    beyondTolerance: beyondTolerance(provider, ledger, unit, tolerance),
  };
}
