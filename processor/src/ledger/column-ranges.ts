import type { LlmCall } from './llm-call.js';

const tokenColumns = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;
/** DECIMAL(18, 9) keeps 18 digits: just under a billion dollars, in nano-dollars. */
const maxCostNanos = 10n ** 18n - 1n;
const maxInteger = 2 ** 31 - 1;
const textColumns = [
  'trace_id', 'span_id', 'parent_span_id', 'service_name', 'team', 'project', 'feature', 'customer', 'user_id', 'environment', 'action',
  'provider', 'operation', 'request_model', 'response_model', 'response_id', 'price_id', 'error_type', 'attributes',
] as const satisfies ReadonlyArray<keyof LlmCall>;
/**
 * UTF-16 units of text one row may carry: at most 3 bytes each in the staged CSV (a doubled quote is 2), so the
 * line stays under what DuckDB's CSV reader takes (2,000,000 bytes). Only caps raised far past their defaults reach it.
 */
const maxRowTextUnits = 600_000;

/**
 * Why `row` does not fit `llm_calls`' typed columns, or the staged line DuckDB reads it from, or null. A token
 * count past 2^53 has already lost its exact value in JavaScript (and one past 2^63 overflows BIGINT), a billion
 * dollars overflows DECIMAL(18, 9), and `attempts` is an INTEGER. Such a row would fail its whole group's INSERT on every retry, holding up every batch
 * after it, so the receiver rejects its span instead (OTLP partial success, which clients do not retry).
 */
export function ledgerRangeProblem(row: LlmCall): string | null {
  for (const column of tokenColumns) {
    const value = row[column];
    if (value !== null && !Number.isSafeInteger(value)) return `${column} ${value} is past the largest exact count, ${Number.MAX_SAFE_INTEGER}`;
  }
  let textUnits = 0;
  for (const column of textColumns) textUnits += row[column]?.length ?? 0;
  if (textUnits > maxRowTextUnits) return `its text fields total ${textUnits} characters, past the ${maxRowTextUnits} one ledger row holds`;
  if (row.attempts !== null && row.attempts > maxInteger) return `attempts ${row.attempts} is past ${maxInteger}`;
  if (row.cost_nanos !== null && row.cost_nanos > maxCostNanos) {
    return `a cost of ${row.cost_nanos / 1_000_000_000n} USD is past what cost_usd DECIMAL(18, 9) holds`;
  }
  return null;
}
