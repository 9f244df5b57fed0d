import { describe, expect, it } from 'vitest';
import { loadPriceBook } from '../../processor/src/pricing/price-book.js';
import { bookOf, problemsOf } from './one-entry-book.js';
import { priceCall, priceCallWithDetails, type PriceableCall } from '../../processor/src/pricing/price-call.js';
import { readServiceTier } from '../../processor/src/normalize/service-tier.js';

const builtin = await loadPriceBook([]);

function call(overrides: Partial<PriceableCall>): PriceableCall {
  return {
    provider: 'openai',
    model: 'gpt-5-2025-08-07',
    startTime: new Date('2026-01-15T10:00:00Z'),
    usage: { input: 20_000, output: 1_500, cacheRead: 8_000, cacheWrite: null },
    ...overrides,
  };
}


describe('service tiers in the price book', () => {
  // gpt-5 standard: 12,000 × $1.25/M + 8,000 × $0.125/M + 1,500 × $10/M = $0.031.
  it('prices Flex and Priority at their own rates, and names the tier in price_id', () => {
    expect(priceCall(builtin, call({ serviceTier: 'flex' }))).toEqual({
      cost_nanos: 15_500_000n, // 12,000 × 0.625 + 8,000 × 0.0625 + 1,500 × 5, per million
      cost_source: 'computed',
      price_id: 'openai/gpt-5@2025-08-07~flex#builtin-2026-11-24.2',
    });
    expect(priceCall(builtin, call({ serviceTier: 'priority' }))).toEqual({
      cost_nanos: 62_000_000n, // 12,000 × 2.50 + 8,000 × 0.25 + 1,500 × 20, per million
      cost_source: 'computed',
      price_id: 'openai/gpt-5@2025-08-07~priority#builtin-2026-11-24.2',
    });
  });

  it('prices the standard tier, under any of its names or none, at the base rates', () => {
    for (const serviceTier of [undefined, null, '', 'default', 'auto', 'standard', 'Default', ' auto ']) {
      expect(priceCall(builtin, call({ serviceTier }))).toEqual({
        cost_nanos: 31_000_000n,
        cost_source: 'computed',
        price_id: 'openai/gpt-5@2025-08-07#builtin-2026-11-24.2',
      });
    }
    expect(priceCall(builtin, call({ serviceTier: 'FLEX' })).cost_nanos).toBe(15_500_000n);
  });

  it('leaves a tier the entry has no rates for unpriced, never at the standard rates', () => {
    for (const serviceTier of ['scale', 'batch']) {
      expect(priceCallWithDetails(builtin, call({ serviceTier }))).toMatchObject({
        price: { cost_nanos: null, cost_source: 'unpriced', price_id: null },
        unpricedReason: 'unknown_service_tier',
      });
    }
    // gpt-4.1 has Priority rates in the built-in book but no Flex ones.
    expect(priceCallWithDetails(builtin, call({ model: 'gpt-4.1', serviceTier: 'flex' })).unpricedReason).toBe('unknown_service_tier');
    // A cost the span reported stands in, as for an unknown model.
    expect(priceCall(builtin, call({ serviceTier: 'scale', reportedCostUsd: 0.02 }))).toEqual({
      cost_nanos: 20_000_000n,
      cost_source: 'reported',
      price_id: null,
    });
  });

  it("does not price a provider alias's service tiers: the alias vouches for the standard list prices only", () => {
    expect(priceCall(builtin, call({ provider: 'azure.ai.openai' }))).toMatchObject({ cost_nanos: 31_000_000n, cost_source: 'computed' });
    expect(priceCallWithDetails(builtin, call({ provider: 'azure.ai.openai', serviceTier: 'priority' }))).toMatchObject({
      price: { cost_nanos: null, cost_source: 'unpriced', price_id: null },
      unpricedReason: 'unknown_service_tier',
    });
    expect(priceCall(builtin, call({ provider: ' OpenAI ', serviceTier: 'priority' })).cost_nanos).toBe(62_000_000n);
  });

  it("applies a service tier's own long-context tiers, and not the entry's", () => {
    const long = { input: 300_000, output: 1_000, cacheRead: 100_000, cacheWrite: null };
    const startTime = new Date('2026-06-01T00:00:00Z');
    const gpt54 = (serviceTier: string | null) => priceCall(builtin, call({ model: 'gpt-5.4', startTime, usage: long, serviceTier })).cost_nanos;
    expect(gpt54(null)).toBe(1_072_500_000n); // >272K: 200,000 × 5 + 100,000 × 0.5 + 1,000 × 22.5
    expect(gpt54('flex')).toBe(536_250_000n); // Flex >272K: 200,000 × 2.5 + 100,000 × 0.25 + 1,000 × 11.25
    expect(gpt54('priority')).toBe(1_080_000_000n); // no long-context Priority rate: 200,000 × 5 + 100,000 × 0.5 + 1,000 × 30
  });

  it('overrides only the rates a tier names; an explicit null cache rate bills cache reads as input', () => {
    const book = bookOf({
      cache_read_per_mtok: 0.5,
      per_request: 0.01,
      service_tiers: { flex: { input_per_mtok: 1 }, nocache: { cache_read_per_mtok: null } },
    });
    const usage = { input: 1_000_000, output: 1_000_000, cacheRead: 500_000, cacheWrite: null };
    const cost = (serviceTier: string | null) =>
      priceCall(book, { provider: 'openai', model: 'gpt-x', startTime: new Date('2026-02-01T00:00:00Z'), usage, serviceTier }).cost_nanos;
    expect(cost(null)).toBe(9_260_000_000n); // 500,000 × 2 + 500,000 × 0.5 + 1M × 8, + $0.01
    expect(cost('flex')).toBe(8_760_000_000n); // 500,000 × 1 + 500,000 × 0.5 + 1M × 8, + $0.01
    expect(cost('nocache')).toBe(10_010_000_000n); // 1M × 2 + 1M × 8, + $0.01
  });

  it('rejects a tier named like the standard one, unknown fields and repeated thresholds, naming the place', () => {
    expect(problemsOf({ service_tiers: { default: { input_per_mtok: 1 } } })).toContain(
      "test.json: prices[0] (openai gpt-x): service_tiers.default: the entry's own rates price the standard tier (default, standard, auto); name only other tiers",
    );
    expect(problemsOf({ service_tiers: { Flex: { input_per_mtok: 1 } } })).toContain(
      'service_tiers.Flex: write the tier in lower case, as providers report it (e.g. "flex")',
    );
    expect(problemsOf({ service_tiers: { flex: { input_per_mtok: 1, ouput_per_mtok: 4 } } })).toContain(
      'test.json: prices[0] (openai gpt-x): service_tiers.flex: unknown field "ouput_per_mtok": check the spelling',
    );
    expect(problemsOf({ service_tiers: { flex: { input_per_mtok: '-1' } } })).toContain(
      'service_tiers.flex.input_per_mtok: expected a number >= 0 (USD per million tokens), got "-1"',
    );
    expect(
      problemsOf({ service_tiers: { flex: { tiers: [{ above_input_tokens: 10, input_per_mtok: 1 }, { above_input_tokens: 10, input_per_mtok: 2 }] } } }),
    ).toContain('service_tiers.flex.tiers[1].above_input_tokens: two tiers with the same threshold');
  });
});

describe('readServiceTier: the tier a span names', () => {
  it('prefers the tier that served the call over the one asked for, in current and deprecated names', () => {
    expect(readServiceTier({ 'openai.request.service_tier': 'priority', 'openai.response.service_tier': 'default' })).toBe('default');
    expect(readServiceTier({ 'openai.request.service_tier': 'flex' })).toBe('flex');
    expect(readServiceTier({ 'gen_ai.openai.response.service_tier': 'priority', 'gen_ai.openai.request.service_tier': 'auto' })).toBe(
      'priority',
    );
    expect(readServiceTier({ 'gen_ai.openai.request.service_tier': 'flex' })).toBe('flex');
    expect(readServiceTier({})).toBeNull();
  });
});
