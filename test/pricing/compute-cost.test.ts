import { describe, expect, it } from 'vitest';
import { computeCost } from '../../processor/src/pricing/compute-cost.js';
import { PriceBook, readBuiltinPriceBook, type PriceEntry } from '../../processor/src/pricing/price-book.js';
import { parsePriceBookDocument } from '../../processor/src/pricing/price-book-schema.js';

const builtin = new PriceBook([await readBuiltinPriceBook()]);

function builtinEntry(provider: string, model: string, at: string): PriceEntry {
  const entry = builtin.lookup(provider, model, new Date(at));
  if (!entry) throw new Error(`no built-in price for ${provider} ${model} at ${at}`);
  return entry;
}

function entryFrom(fields: Record<string, unknown>): PriceEntry {
  const file = parsePriceBookDocument(
    { prices: [{ provider: 'test', model: 'm', effective_from: '2025-01-01', ...fields }] },
    'inline.json',
  );
  const [entry] = new PriceBook([{ tag: 'test', book: file }]).entries();
  if (!entry) throw new Error('no entry');
  return entry;
}

describe('computeCost', () => {
  it('prices gpt-4.1 with cached input exactly', () => {
    // (1,234,567 − 200,000) × $2/M = $2.069134; 200,000 × $0.50/M = $0.1; 98,765 × $8/M = $0.79012 → $2.959254
    const cost = computeCost(builtinEntry('openai', 'gpt-4.1', '2025-07-01T12:00:00Z'), {
      input: 1_234_567,
      output: 98_765,
      cacheRead: 200_000,
      cacheWrite: 0,
    });
    expect(cost).toEqual({ nanos: 2_959_254_000n, tierAbove: null, clamped: false });
  });

  it('prices Anthropic cache reads and cache writes at their own rates', () => {
    // claude-sonnet-4-5: uncached 20,000 × $3/M = $0.06; read 100,000 × $0.30/M = $0.03;
    // write 30,000 × $3.75/M = $0.1125; output 2,000 × $15/M = $0.03 → $0.2325
    const cost = computeCost(builtinEntry('anthropic', 'claude-sonnet-4-5', '2025-10-15T00:00:00Z'), {
      input: 150_000,
      output: 2_000,
      cacheRead: 100_000,
      cacheWrite: 30_000,
    });
    expect(cost.nanos).toBe(232_500_000n);
  });

  it("prices Anthropic's 1-hour cache writes at their own rate, in the long-context tier too", () => {
    const sonnet = builtinEntry('anthropic', 'claude-sonnet-4-5', '2025-10-15T00:00:00Z');
    // As above, with 20,000 of the 30,000 writes for an hour: 10,000 × $3.75/M = $0.0375; 20,000 × $6/M = $0.12 → $0.2775
    const usage = { input: 150_000, output: 2_000, cacheRead: 100_000, cacheWrite: 30_000, cacheWrite1h: 20_000 };
    expect(computeCost(sonnet, usage)).toEqual({ nanos: 277_500_000n, tierAbove: null, clamped: false });
    // > 200K: uncached 200,000 × $6/M = $1.2; read 100,000 × $0.60/M = $0.06; 10,000 × $7.50/M = $0.075;
    // 20,000 × $12/M = $0.24; 2,000 × $22.50/M = $0.045 → $1.62
    expect(computeCost(sonnet, { ...usage, input: 330_000 })).toEqual({ nanos: 1_620_000_000n, tierAbove: 200_000, clamped: false });
    // Without a 1-hour rate they are billed as cache writes; more 1-hour writes than writes are clamped and flagged.
    const noHourRate = entryFrom({ input_per_mtok: 3, output_per_mtok: 15, cache_write_per_mtok: 3.75 });
    // 20,000 × $3/M + 100,000 reads × $3/M (no cache-read price) + 30,000 × $3.75/M + 2,000 × $15/M = $0.5025
    expect(computeCost(noHourRate, usage).nanos).toBe(502_500_000n);
    expect(computeCost(sonnet, { ...usage, cacheWrite1h: 40_000 })).toEqual({ nanos: 300_000_000n, tierAbove: null, clamped: true });
    // A tier that raises the cache-write rate without a 1-hour one bills 1-hour writes at its cache-write rate, not
    // at the base 1-hour rate below it: 100,000 × $6/M + 100,000 × $7.50/M = $1.35.
    const tiered = entryFrom({
      input_per_mtok: 3,
      output_per_mtok: 15,
      cache_write_per_mtok: 3.75,
      cache_write_1h_per_mtok: 6,
      tiers: [{ above_input_tokens: 150_000, input_per_mtok: 6, cache_write_per_mtok: 7.5 }],
    });
    expect(computeCost(tiered, { input: 200_000, output: 0, cacheRead: 0, cacheWrite: 100_000, cacheWrite1h: 100_000 }).nanos).toBe(1_350_000_000n);
  });

  it('switches the whole call to the long-context tier once the input exceeds the threshold', () => {
    const sonnet = builtinEntry('anthropic', 'claude-sonnet-4-5', '2025-10-15T00:00:00Z');
    // 250,000 input > 200K: uncached 200,000 × $6/M = $1.2; read 50,000 × $0.60/M = $0.03; 10,000 × $22.50/M = $0.225
    expect(computeCost(sonnet, { input: 250_000, output: 10_000, cacheRead: 50_000, cacheWrite: 0 })).toEqual({
      nanos: 1_455_000_000n,
      tierAbove: 200_000,
      clamped: false,
    });
    // Exactly 200,000 does not exceed the threshold: 200,000 × $3/M + 10,000 × $15/M = $0.75
    expect(computeCost(sonnet, { input: 200_000, output: 10_000, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(750_000_000n);

    // gpt-5.4 above 272K: 300,000 × $5/M = $1.5; 1,000 × $22.50/M = $0.0225
    const gpt54 = builtinEntry('openai', 'gpt-5.4', '2026-06-01T00:00:00Z');
    expect(computeCost(gpt54, { input: 300_000, output: 1_000, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(1_522_500_000n);
  });

  it('lets a tier override some rates and falls back to the base for the rest', () => {
    const entry = entryFrom({
      input_per_mtok: 1,
      output_per_mtok: 4,
      cache_read_per_mtok: 0.1,
      per_request: '0.01',
      tiers: [
        { above_input_tokens: 1000, input_per_mtok: 2 },
        { above_input_tokens: 5000, output_per_mtok: 8 },
      ],
    });
    // 2,000 input (tier >1000): 1,500 × $2/M + 500 × $0.10/M + 100 × $4/M + $0.01 = 0.003 + 0.00005 + 0.0004 + 0.01
    expect(computeCost(entry, { input: 2_000, output: 100, cacheRead: 500, cacheWrite: 0 })).toEqual({
      nanos: 13_450_000n,
      tierAbove: 1000,
      clamped: false,
    });
    // 6,000 input: the highest tier applies alone, its input rate falls back to the base $1/M:
    // 6,000 × $1/M + 100 × $8/M + $0.01 = 0.006 + 0.0008 + 0.01
    expect(computeCost(entry, { input: 6_000, output: 100, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(16_800_000n);
  });

  it('bills cache tokens at the input rate when the book has no cache price', () => {
    // gpt-4o-2024-05-13 has no cached-input price: all 1,000 input tokens at $5/M, 100 output at $15/M
    const cost = computeCost(builtinEntry('openai', 'gpt-4o-2024-05-13', '2024-09-01T00:00:00Z'), {
      input: 1_000,
      output: 100,
      cacheRead: 400,
      cacheWrite: 0,
    });
    expect(cost.nanos).toBe(6_500_000n);
  });

  it('rounds once, half to even, to the nano-dollar', () => {
    // $0.0005 per million tokens = half a nano-dollar per token
    const entry = entryFrom({ input_per_mtok: '0.0005', output_per_mtok: 0 });
    const nanos = (input: number) => computeCost(entry, { input, output: 0, cacheRead: 0, cacheWrite: 0 }).nanos;
    expect([nanos(1), nanos(3), nanos(5), nanos(7)]).toEqual([0n, 2n, 2n, 4n]);
  });

  it('stays exact where binary floating point would not', () => {
    // 0.1 + 0.2 in doubles is 0.30000000000000004; here 1M tokens at $0.1/M + 1M at $0.2/M is exactly $0.3
    const entry = entryFrom({ input_per_mtok: 0.1, output_per_mtok: 0.2 });
    expect(computeCost(entry, { input: 1_000_000, output: 1_000_000, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(
      300_000_000n,
    );
    // 12-decimal rates keep every digit: 7 tokens × $0.123456789012/M = $0.000000864197523084 → 864 nanos (rounded down)
    const precise = entryFrom({ input_per_mtok: '0.123456789012', output_per_mtok: 0 });
    expect(computeCost(precise, { input: 7, output: 0, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(864n);
    expect(computeCost(precise, { input: 7_000_000, output: 0, cacheRead: 0, cacheWrite: 0 }).nanos).toBe(864_197_523n);
  });

  it('clamps impossible counts instead of producing a negative cost, and flags them', () => {
    const entry = builtinEntry('openai', 'gpt-4.1', '2025-07-01T00:00:00Z');
    // cache read (150) above input (100): uncached clamped to 0; 150 × $0.50/M = $0.000075
    expect(computeCost(entry, { input: 100, output: 0, cacheRead: 150, cacheWrite: 0 })).toEqual({
      nanos: 75_000n,
      tierAbove: null,
      clamped: true,
    });
    expect(computeCost(entry, { input: -5, output: 10.5, cacheRead: 0, cacheWrite: 0 })).toEqual({
      nanos: 80_000n,
      tierAbove: null,
      clamped: true,
    });
  });
});
