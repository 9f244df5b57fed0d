/**
 * Expected costs for e2e assertions, computed from the rates in the built-in price book (processor/prices/builtin.json)
 * with the DESIGN.md formula, in integer nanodollars so the figures compare exactly with DuckDB's DECIMAL(18,9).
 * Tiers are left out: the e2e calls stay below every tier's input threshold.
 */
import { readFileSync } from 'node:fs';

interface BookEntry {
  provider: string;
  model: string;
  effective_from: string;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok: number | null;
}

const book = JSON.parse(readFileSync(new URL('../../processor/prices/builtin.json', import.meta.url), 'utf8')) as { prices: BookEntry[] };

export interface Usage {
  input: number;
  output?: number;
  cacheRead?: number;
}

/** The entry in force at `at` (the latest `effective_from` not after it). */
function entryAt(provider: string, model: string, at: Date): BookEntry {
  const day = at.toISOString().slice(0, 10);
  const entries = book.prices.filter((p) => p.provider === provider && p.model === model && p.effective_from <= day);
  const entry = entries.sort((a, b) => a.effective_from.localeCompare(b.effective_from)).at(-1);
  if (entry === undefined) throw new Error(`the built-in price book has no ${provider}/${model} in force at ${day}`);
  return entry;
}

/** USD per million tokens × 1000 = nanodollars per token (the book's rates have at most 3 decimals). */
const perToken = (ratePerMtok: number | null): bigint => BigInt(Math.round((ratePerMtok ?? 0) * 1000));

export function costNanos(provider: string, model: string, usage: Usage, at = new Date()): bigint {
  const entry = entryAt(provider, model, at);
  const cacheRead = BigInt(usage.cacheRead ?? 0);
  return (
    (BigInt(usage.input) - cacheRead) * perToken(entry.input_per_mtok) +
    cacheRead * perToken(entry.cache_read_per_mtok) +
    BigInt(usage.output ?? 0) * perToken(entry.output_per_mtok)
  );
}

/** `0.004404000`: DuckDB's DECIMAL(18,9) as text, and the money format of the API. */
export function usd(nanos: bigint): string {
  const text = nanos.toString().padStart(10, '0');
  return `${text.slice(0, -9)}.${text.slice(-9)}`;
}
