/**
 * Expected costs for e2e assertions, computed from the rates in the built-in price book (processor/prices/builtin.json)
 * with the DESIGN.md formula, in integer nanodollars so the figures compare exactly with DuckDB's DECIMAL(18,9).
 * Long-context tiers are left out: the e2e calls stay below every tier's input threshold.
 */
import { readFileSync } from 'node:fs';

interface Rates {
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok: number | null;
  cache_write_per_mtok?: number | null;
  cache_write_1h_per_mtok?: number | null;
}

interface BookEntry extends Rates {
  provider: string;
  model: string;
  effective_from: string;
  service_tiers?: Record<string, Partial<Rates>>;
  per_tool_call?: Record<string, number>;
}

const book = JSON.parse(readFileSync(new URL('../../processor/prices/builtin.json', import.meta.url), 'utf8')) as { prices: BookEntry[] };

export interface Usage {
  input: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** The part of `cacheWrite` with a 1-hour lifetime. */
  cacheWrite1h?: number;
  /** Calls of hosted tools billed per call, by tool type (`web_search`). */
  toolCalls?: Record<string, number>;
}

/** The entry in force at `at` (the latest `effective_from` not after it). */
function entryAt(provider: string, model: string, at: Date): BookEntry {
  const day = at.toISOString().slice(0, 10);
  const entries = book.prices.filter((p) => p.provider === provider && p.model === model && p.effective_from <= day);
  const entry = entries.sort((a, b) => a.effective_from.localeCompare(b.effective_from)).at(-1);
  if (entry === undefined) throw new Error(`the built-in price book has no ${provider}/${model} in force at ${day}`);
  return entry;
}

/** USD per million tokens × 1e6 = picodollars per token (the book's rates have at most 6 decimals). */
const perToken = (ratePerMtok: number): bigint => BigInt(Math.round(ratePerMtok * 1e6));

/**
 * The cost at the entry's rates, or at those of its `serviceTier` (e.g. `flex`), which replace the rates they name,
 * plus the entry's fee for each hosted-tool call.
 */
export function costNanos(provider: string, model: string, usage: Usage, at = new Date(), serviceTier?: string): bigint {
  const entry = entryAt(provider, model, at);
  const overrides = serviceTier === undefined ? {} : entry.service_tiers?.[serviceTier];
  if (overrides === undefined) throw new Error(`the built-in price book has no ${serviceTier} rates for ${provider}/${model}`);
  const rates: Rates = { ...entry, ...overrides };
  const cacheRead = BigInt(usage.cacheRead ?? 0);
  const cacheWrite = BigInt(usage.cacheWrite ?? 0);
  const oneHour = BigInt(usage.cacheWrite1h ?? 0);
  const writeRate = rates.cache_write_per_mtok ?? rates.input_per_mtok;
  const picos =
    (BigInt(usage.input) - cacheRead - cacheWrite) * perToken(rates.input_per_mtok) +
    cacheRead * perToken(rates.cache_read_per_mtok ?? rates.input_per_mtok) +
    (cacheWrite - oneHour) * perToken(writeRate) +
    oneHour * perToken(rates.cache_write_1h_per_mtok ?? writeRate) +
    BigInt(usage.output ?? 0) * perToken(rates.output_per_mtok) +
    toolFeePicos(entry, usage.toolCalls ?? {});
  // The ledger rounds to nanodollars; an expectation that needs rounding would test the rounding, not the rates.
  if (picos % 1000n !== 0n) throw new Error(`${provider}/${model}: pick token counts whose cost is whole nanodollars`);
  return picos / 1000n;
}

function toolFeePicos(entry: BookEntry, toolCalls: Record<string, number>): bigint {
  let picos = 0n;
  for (const [tool, count] of Object.entries(toolCalls)) {
    const fee = entry.per_tool_call?.[tool];
    if (fee === undefined) throw new Error(`the built-in price book has no ${tool} fee for ${entry.provider}/${entry.model}`);
    picos += BigInt(count) * BigInt(Math.round(fee * 1e12));
  }
  return picos;
}

/** `0.004404000`: DuckDB's DECIMAL(18,9) as text, and the money format of the API. */
export function usd(nanos: bigint): string {
  const text = nanos.toString().padStart(10, '0');
  return `${text.slice(0, -9)}.${text.slice(-9)}`;
}
