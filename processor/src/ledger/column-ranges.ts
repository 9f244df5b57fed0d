import type { LlmCall } from './llm-call.js';

/** DECIMAL(18, 9) keeps 18 digits: just under a billion dollars, in nano-dollars. */
const maxCostNanos = 10n ** 18n - 1n;
const maxInteger = 2 ** 31 - 1;
const tokenColumnNames = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'];
/**
 * UTF-16 units of text one row may carry: at most 3 bytes each in the staged CSV (a doubled quote is 2), so the
 * line stays under what DuckDB's CSV reader takes (2,000,000 bytes). Only caps raised far past their defaults reach it.
 */
const maxRowTextUnits = 600_000;

/**
 * Why `row` does not fit `llm_calls`' typed columns, or the staged line DuckDB reads it from, or null. A token
 * count past 2^53 has already lost its exact value in JavaScript (and one past 2^63 overflows BIGINT), a billion
 * dollars overflows DECIMAL(18, 9), and `attempts` is an INTEGER. Such a row would fail its whole group's INSERT
 * on every retry, holding up every batch after it, so the receiver rejects its span instead (OTLP partial
 * success, which clients do not retry).
 */
export function ledgerRangeProblem(row: LlmCall): string | null {
  // Written out rather than looped over column names: this runs for every call on the request path.
  const tokens = [row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens, row.reasoning_tokens];
  for (let i = 0; i < tokens.length; i++) {
    const value = tokens[i] as number | null;
    if (value !== null && !Number.isSafeInteger(value)) return `${tokenColumnNames[i]} ${value} is past the largest exact count, ${Number.MAX_SAFE_INTEGER}`;
  }
  const textUnits =
    row.trace_id.length + row.span_id.length + (row.parent_span_id?.length ?? 0) + (row.service_name?.length ?? 0) + (row.team?.length ?? 0) +
    (row.project?.length ?? 0) + (row.feature?.length ?? 0) + (row.customer?.length ?? 0) + (row.user_id?.length ?? 0) + (row.environment?.length ?? 0) +
    (row.action?.length ?? 0) + (row.provider?.length ?? 0) + (row.operation?.length ?? 0) + (row.request_model?.length ?? 0) +
    (row.response_model?.length ?? 0) + (row.response_id?.length ?? 0) + (row.price_id?.length ?? 0) + (row.error_type?.length ?? 0) + row.attributes.length;
  if (textUnits > maxRowTextUnits) return `its text fields total ${textUnits} characters, past the ${maxRowTextUnits} one ledger row holds`;
  if (row.attempts !== null && row.attempts > maxInteger) return `attempts ${row.attempts} is past ${maxInteger}`;
  if (row.cost_nanos !== null && row.cost_nanos > maxCostNanos) {
    return `a cost of ${row.cost_nanos / 1_000_000_000n} USD is past what cost_usd DECIMAL(18, 9) holds`;
  }
  return null;
}
