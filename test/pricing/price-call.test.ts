import { describe, expect, it } from 'vitest';
import { loadPriceBook } from '../../processor/src/pricing/price-book.js';
import { priceCall, priceCallWithDetails, type PriceableCall } from '../../processor/src/pricing/price-call.js';

const book = await loadPriceBook([]);

function call(overrides: Partial<PriceableCall>): PriceableCall {
  return {
    provider: 'openai',
    model: 'gpt-4.1-2025-04-14',
    startTime: new Date('2025-09-01T10:00:00Z'),
    usage: { input: 1_000, output: 500, cacheRead: null, cacheWrite: null },
    reportedCostUsd: null,
    ...overrides,
  };
}

describe('priceCall', () => {
  it('computes from the book: 1,000 × $2/M + 500 × $8/M = $0.006', () => {
    expect(priceCall(book, call({}))).toEqual({
      cost_nanos: 6_000_000n,
      cost_source: 'computed',
      price_id: 'openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2',
    });
  });

  it('prices the legacy completions model and its dated snapshot: 6 × $1.50/M + 16 × $2/M = $0.000041', () => {
    for (const model of ['gpt-3.5-turbo-instruct', 'gpt-3.5-turbo-instruct-0914']) {
      expect(priceCall(book, call({ model, usage: { input: 6, output: 16, cacheRead: null, cacheWrite: null } }))).toEqual({
        cost_nanos: 41_000n,
        cost_source: 'computed',
        price_id: 'openai/gpt-3.5-turbo-instruct@2023-09-18#builtin-2026-11-24.2',
      });
    }
  });

  it('lets the book win over a reported cost', () => {
    expect(priceCall(book, call({ reportedCostUsd: 0.5 }))).toMatchObject({ cost_nanos: 6_000_000n, cost_source: 'computed' });
  });

  it('leaves an unknown model unpriced with a NULL cost', () => {
    expect(priceCallWithDetails(book, call({ model: 'gpt-9-turbo' }))).toEqual({
      price: { cost_nanos: null, cost_source: 'unpriced', price_id: null },
      unpricedReason: 'unknown_model',
      entry: null,
      clamped: false,
      toolFees: new Map(),
    });
  });

  it('uses a reported cost only when the book cannot price the call and it is positive', () => {
    expect(priceCall(book, call({ model: 'gpt-9-turbo', reportedCostUsd: 0.0123456789 }))).toEqual({
      cost_nanos: 12_345_679n,
      cost_source: 'reported',
      price_id: null,
    });
    // OpenLIT reports 0 when it could not fetch its price list: that is "unknown", not "free".
    expect(priceCall(book, call({ model: 'gpt-9-turbo', reportedCostUsd: 0 }))).toEqual({
      cost_nanos: null,
      cost_source: 'unpriced',
      price_id: null,
    });
    expect(priceCall(book, call({ model: 'gpt-9-turbo', reportedCostUsd: -1 })).cost_source).toBe('unpriced');
  });

  it('never prices a call without usage as free', () => {
    expect(priceCallWithDetails(book, call({ usage: null }))).toMatchObject({
      price: { cost_nanos: null, cost_source: 'unpriced', price_id: null },
      unpricedReason: 'no_usage',
    });
    const allNull = { input: null, output: null, cacheRead: null, cacheWrite: null };
    expect(priceCall(book, call({ usage: allNull }))).toEqual({ cost_nanos: null, cost_source: 'unpriced', price_id: null });
    // ...but a reported positive cost still stands in for the missing usage.
    expect(priceCall(book, call({ usage: null, reportedCostUsd: 0.002 }))).toEqual({
      cost_nanos: 2_000_000n,
      cost_source: 'reported',
      price_id: null,
    });
  });

  it('prices a call that reported zero tokens as a real zero', () => {
    const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    expect(priceCall(book, call({ usage: zero }))).toEqual({
      cost_nanos: 0n,
      cost_source: 'computed',
      price_id: 'openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2',
    });
  });

  it('says why a call went unpriced', () => {
    const reason = (overrides: Partial<PriceableCall>) => priceCallWithDetails(book, call(overrides)).unpricedReason;
    expect(reason({ provider: null })).toBe('no_provider');
    expect(reason({ model: null })).toBe('no_model');
    expect(reason({ startTime: new Date('2024-01-01T00:00:00Z') })).toBe('before_first_price');
  });

  it('falls back to the requested model when the answering model has no price', () => {
    expect(priceCall(book, call({ model: 'gpt-4.1-experimental-0917', fallbackModel: 'gpt-4.1' })).price_id).toBe(
      'openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2',
    );
  });

  it('flags clamped counts and prices the Sonnet 5 introductory and standard periods', () => {
    const sonnet5 = (startTime: string) =>
      priceCallWithDetails(
        book,
        call({
          provider: 'anthropic',
          model: 'claude-sonnet-5',
          startTime: new Date(startTime),
          usage: { input: 100, output: 0, cacheRead: 80, cacheWrite: 40 },
        }),
      );
    // intro: read 80 × $0.20/M + write 40 × $2.50/M = 0.000016 + 0.0001; uncached −20 clamped to 0
    expect(sonnet5('2026-08-31T23:00:00Z')).toMatchObject({ price: { cost_nanos: 116_000n }, clamped: true });
    // standard: 80 × $0.30/M + 40 × $3.75/M = 0.000024 + 0.00015
    expect(sonnet5('2026-09-01T00:00:00Z')).toMatchObject({ price: { cost_nanos: 174_000n }, clamped: true });
  });
});
