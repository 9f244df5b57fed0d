import { PriceBookError } from '../../processor/src/pricing/errors.js';
import { PriceBook } from '../../processor/src/pricing/price-book.js';
import { parsePriceBookDocument } from '../../processor/src/pricing/price-book-schema.js';

/** A book of one `openai/gpt-x` entry ($2 / $8 per million from 2026-01-01) with `entry`'s fields over it. */
export function bookOf(entry: Record<string, unknown>): PriceBook {
  const base = { provider: 'openai', model: 'gpt-x', effective_from: '2026-01-01', input_per_mtok: 2, output_per_mtok: 8 };
  return new PriceBook([{ tag: 'test', book: parsePriceBookDocument({ prices: [{ ...base, ...entry }] }, 'test.json') }]);
}

/** What validation says of that book: the PriceBookError's message, or 'valid'. */
export function problemsOf(entry: Record<string, unknown>): string {
  try {
    bookOf(entry);
  } catch (error) {
    if (error instanceof PriceBookError) return error.message;
    throw error;
  }
  return 'valid';
}
