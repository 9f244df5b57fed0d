import { describe, expect, it } from 'vitest';
import { addCall, callAttributionColumns, earliestValue, emptyCallTotals } from '../../processor/src/rollup/call-totals.js';
import { llmCallRow } from '../support/llm-call-row.js';

describe('call totals', () => {
  it('takes each attribution column from the same column of the call, and sums each token column apart', () => {
    const totals = emptyCallTotals();
    const distinct = Object.fromEntries(callAttributionColumns.map((column) => [column, `value of ${column}`]));
    const tokens = { input_tokens: 11, output_tokens: 22, cache_read_tokens: 33, cache_write_tokens: 44, reasoning_tokens: 55 };
    addCall(totals, llmCallRow(new Date(1_000), { ...distinct, ...tokens }));
    addCall(totals, llmCallRow(new Date(2_000), { span_id: '0000000000000002', input_tokens: 1, output_tokens: null, cache_read_tokens: null, cache_write_tokens: 4, reasoning_tokens: null }));
    expect(Object.fromEntries(callAttributionColumns.map((column) => [column, earliestValue(totals, column)]))).toEqual(distinct);
    expect(totals.tokens).toEqual({ input_tokens: 12, output_tokens: 22, cache_read_tokens: 33, cache_write_tokens: 48, reasoning_tokens: 55 });

    const none = emptyCallTotals();
    addCall(none, llmCallRow(new Date(1_000), { input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null }));
    expect(Object.values(none.tokens)).toEqual([null, null, null, null, null]);
  });
});
