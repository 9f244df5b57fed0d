import { divideHalfEven } from './decimal.js';

/**
 * Rates in atto-dollars (1e-18 USD): a per-million-token rate written with up to 12 decimals is an exact
 * integer number of atto-dollars per token, and a per-request fee with up to 18 decimals is an exact integer
 * number of atto-dollars. Every product below is exact; the only rounding is the final one to nano-dollars.
 */
export interface Rates {
  input: bigint;
  output: bigint;
  /** null: no cache discount exists, so cache-read tokens are billed at the input rate. */
  cacheRead: bigint | null;
  /** null: no cache-write surcharge exists, so cache-write tokens are billed at the input rate. */
  cacheWrite: bigint | null;
  /** Anthropic's 1-hour cache writes; null: billed at the cache-write rate, like the 5-minute ones. */
  cacheWrite1h: bigint | null;
  perRequest: bigint;
}

export interface RateTier {
  /** The tier applies when the call's input tokens (cache included) exceed this. */
  aboveInputTokens: number;
  /** The base rates with this tier's overrides applied. */
  rates: Rates;
}

export interface RateCard {
  rates: Rates;
  /** Sorted by threshold, highest first. */
  tiers: readonly RateTier[];
}

/** Token counts in the GenAI semconv meaning: `input` INCLUDES cache-read and cache-write tokens. */
export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** The part of `cacheWrite` written with a 1-hour lifetime (Anthropic); absent: none, or not reported. */
  cacheWrite1h?: number;
}

export interface Cost {
  nanos: bigint;
  /** The tier threshold that applied, or null for the base rates. */
  tierAbove: number | null;
  /**
   * The span's counts were impossible (cache tokens above input, 1-hour writes above all writes, negative or
   * fractional counts): they were clamped so the cost cannot go negative. The caller should count it as a
   * data-quality problem.
   */
  clamped: boolean;
}

const attoPerNano = 1_000_000_000n;

export function selectRates(card: RateCard, inputTokens: number): { rates: Rates; tierAbove: number | null } {
  for (const tier of card.tiers) {
    if (inputTokens > tier.aboveInputTokens) return { rates: tier.rates, tierAbove: tier.aboveInputTokens };
  }
  return { rates: card.rates, tierAbove: null };
}

/**
 * cost = (input − cacheRead − cacheWrite) × input rate + cacheRead × cache-read rate
 *      + (cacheWrite − cacheWrite1h) × cache-write rate + cacheWrite1h × 1-hour cache-write rate
 *      + output × output rate + per-request fee + `feesAtto` (the call's tool-call fees, in atto-dollars),
 * with the rates of the highest tier whose threshold the input exceeds; exact, rounded once half-even to 1e-9 USD.
 */
export function computeCost(card: RateCard, usage: TokenCounts, feesAtto = 0n): Cost {
  const input = wholeTokens(usage.input);
  const output = wholeTokens(usage.output);
  const cacheRead = wholeTokens(usage.cacheRead);
  const cacheWrite = wholeTokens(usage.cacheWrite);
  const cacheWrite1h = wholeTokens(usage.cacheWrite1h ?? 0);
  const uncached = input.count - cacheRead.count - cacheWrite.count;
  const oneHour = Math.min(cacheWrite1h.count, cacheWrite.count);
  const clamped =
    [input, output, cacheRead, cacheWrite, cacheWrite1h].some((tokens) => tokens.clamped) ||
    uncached < 0 ||
    oneHour < cacheWrite1h.count;

  const { rates, tierAbove } = selectRates(card, input.count);
  const cacheWriteRate = rates.cacheWrite ?? rates.input;
  const atto =
    BigInt(Math.max(uncached, 0)) * rates.input +
    BigInt(cacheRead.count) * (rates.cacheRead ?? rates.input) +
    BigInt(cacheWrite.count - oneHour) * cacheWriteRate +
    BigInt(oneHour) * (rates.cacheWrite1h ?? cacheWriteRate) +
    BigInt(output.count) * rates.output +
    rates.perRequest +
    feesAtto;
  return { nanos: divideHalfEven(atto, attoPerNano), tierAbove, clamped };
}

function wholeTokens(value: number): { count: number; clamped: boolean } {
  if (Number.isSafeInteger(value) && value >= 0) return { count: value, clamped: false };
  const count = Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER) : 0;
  return { count, clamped: true };
}
