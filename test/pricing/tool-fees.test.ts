import { describe, expect, it } from 'vitest';
import { loadPriceBook } from '../../processor/src/pricing/price-book.js';
import { bookOf, problemsOf } from './one-entry-book.js';
import { priceCall, priceCallWithDetails, priceForLedger, type PriceableCall } from '../../processor/src/pricing/price-call.js';
import { readToolCalls } from '../../processor/src/normalize/tool-calls.js';
import { derivedAttributeEntries, readStoredDerived } from '../../processor/src/normalize/derived-attributes.js';
import { storedAttributesJson } from '../../processor/src/normalize/stored-attributes.js';
import { toolType } from '../../processor/src/pricing/tool-type.js';

const builtin = await loadPriceBook([]);
const searches = (count: number, tool = 'web_search') => new Map([[tool, count]]);

function call(overrides: Partial<PriceableCall>): PriceableCall {
  return {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    startTime: new Date('2026-01-15T10:00:00Z'),
    // 10,000 × $3/M + 1,000 × $15/M = $0.045 before any fee.
    usage: { input: 10_000, output: 1_000, cacheRead: null, cacheWrite: null },
    ...overrides,
  };
}


describe('hosted-tool fees (per_tool_call)', () => {
  it("adds the entry's fee per web search to the call's cost, and says which part it is", () => {
    expect(priceCall(builtin, call({}))).toMatchObject({ cost_nanos: 45_000_000n });
    expect(priceForLedger(builtin, call({ toolCalls: searches(3) }))).toEqual({
      cost_nanos: 75_000_000n, // $0.045 + 3 × $0.01
      cost_source: 'computed',
      price_id: 'anthropic/claude-sonnet-4-5@2025-09-29#builtin-2026-11-24.2',
      toolFees: new Map([['web_search', 30_000_000n]]),
      unpricedReason: null,
    });
  });

  it('bills OpenAI web_search_preview on non-reasoning models at $25 per 1,000, web_search at $10', () => {
    // gpt-4.1: 10,000 × $2/M + 1,000 × $8/M = $0.028.
    const gpt41 = (tool: string) => priceCall(builtin, call({ provider: 'openai', model: 'gpt-4.1', toolCalls: searches(2, tool) })).cost_nanos;
    expect(gpt41('web_search')).toBe(48_000_000n);
    expect(gpt41('web_search_preview')).toBe(78_000_000n);
    // gpt-5 is a reasoning model: $10 per 1,000 for both. 10,000 × $1.25/M + 1,000 × $10/M = $0.0225.
    expect(priceCall(builtin, call({ provider: 'openai', model: 'gpt-5', toolCalls: searches(2, 'web_search_preview') })).cost_nanos).toBe(42_500_000n);
  });

  it('bills OpenAI file searches at $2.50 per 1,000, beside web searches in the same call', () => {
    const toolCalls = new Map([['web_search', 1], ['file_search', 4]]);
    expect(priceForLedger(builtin, call({ provider: 'openai', model: 'gpt-4.1', toolCalls }))).toMatchObject({
      cost_nanos: 48_000_000n, // $0.028 + 1 × $0.01 + 4 × $0.0025
      toolFees: new Map([['web_search', 10_000_000n], ['file_search', 10_000_000n]]),
    });
    // Anthropic has no file search tool: such a count leaves the call unpriced rather than free.
    expect(priceCallWithDetails(builtin, call({ toolCalls: searches(1, 'file_search') })).unpricedReason).toBe('unknown_tool_fee');
  });

  it('charges the fee in full on every service tier and long-context tier', () => {
    // gpt-5 Flex halves the token rates, not the search fee: $0.01125 + $0.01.
    expect(priceCall(builtin, call({ provider: 'openai', model: 'gpt-5', serviceTier: 'flex', toolCalls: searches(1) })).cost_nanos).toBe(21_250_000n);
    const book = bookOf({ per_tool_call: { web_search: '0.000000000000000001' }, tiers: [{ above_input_tokens: 5_000, input_per_mtok: 4 }] });
    // Above 5,000 input tokens: 10,000 × $4/M + 1,000 × $8/M = $0.048, and 10 atto-dollars of fees: rounded once, to $0.048.
    expect(priceForLedger(book, call({ provider: 'openai', model: 'gpt-x', toolCalls: searches(10) }))).toMatchObject({
      cost_nanos: 48_000_000n,
      toolFees: new Map([['web_search', 0n]]),
    });
  });

  it('leaves a call unpriced when its entry has no fee for a tool it used, rather than price it as free', () => {
    const book = bookOf({});
    const outcome = priceCallWithDetails(book, call({ provider: 'openai', model: 'gpt-x', toolCalls: searches(1) }));
    expect(outcome).toMatchObject({ price: { cost_nanos: null, cost_source: 'unpriced', price_id: null }, unpricedReason: 'unknown_tool_fee' });
    expect(priceCall(book, call({ provider: 'openai', model: 'gpt-x', toolCalls: searches(1), reportedCostUsd: 0.05 }))).toEqual({
      cost_nanos: 50_000_000n,
      cost_source: 'reported',
      price_id: null,
    });
    // Another tool than the one priced: still unknown.
    expect(priceCallWithDetails(builtin, call({ toolCalls: searches(1, 'code_interpreter') })).unpricedReason).toBe('unknown_tool_fee');
    // Without tool calls the same entry prices as before.
    expect(priceCall(book, call({ provider: 'openai', model: 'gpt-x', toolCalls: new Map() })).cost_nanos).toBe(28_000_000n);
  });

  it("does not apply a provider alias's fees: Azure bills its hosted tools under its own prices", () => {
    const azure = call({ provider: 'azure.ai.openai', model: 'gpt-4.1' });
    expect(priceCall(builtin, azure).cost_nanos).toBe(28_000_000n);
    expect(priceCallWithDetails(builtin, { ...azure, toolCalls: searches(1) }).unpricedReason).toBe('unknown_tool_fee');
  });

  it('validates per_tool_call: lower-case tool types, fees in USD >= 0 with at most 18 decimals', () => {
    expect(problemsOf({ per_tool_call: { web_search: 0.01, web_search_preview: '0.025' } })).toBe('valid');
    expect(problemsOf({ per_tool_call: { Web_Search: 0.01 } })).toContain(
      'test.json: prices[0] (openai gpt-x): per_tool_call.Web_Search: write the tool type in lower case, as providers name it (e.g. "web_search")',
    );
    expect(problemsOf({ per_tool_call: { web_search: -0.01 } })).toContain(
      'per_tool_call.web_search: expected a number >= 0 (USD per tool call), got -0.01',
    );
    expect(problemsOf({ per_tool_call: { web_search_preview_2025_03_11: 0.025 } })).toContain(
      'per_tool_call.web_search_preview_2025_03_11: write the tool type without its version date (e.g. "web_search_preview", not "web_search_preview_2025_03_11")',
    );
    expect(problemsOf({ per_tool_call: { web_search: '0.0000000000000000001' } })).toContain(
      'per_tool_call.web_search: at most 18 decimal places (USD per tool call)',
    );
  });
});

describe('readToolCalls: the hosted-tool calls a span counts', () => {
  it("reads Anthropic's server tool use and OpenAI's web search calls under the tool the request declared", () => {
    expect(readToolCalls({ 'anthropic.usage.server_tool_use.web_search_requests': 4 })).toEqual(searches(4));
    expect(readToolCalls({ 'openai.response.web_search_calls': 2 })).toEqual(searches(2));
    expect(readToolCalls({ 'openai.response.web_search_calls': '2', 'openai.request.web_search_tool': 'web_search_preview_2025_03_11' })).toEqual(
      searches(2, 'web_search_preview'),
    );
    expect(readToolCalls({ 'openai.response.web_search_calls': 1, 'openai.response.file_search_calls': 4 })).toEqual(
      new Map([['web_search', 1], ['file_search', 4]]),
    );
    expect(readToolCalls({ 'anthropic.usage.server_tool_use.web_search_requests': 0, 'openai.response.web_search_calls': -1 })).toEqual(new Map());
    expect(toolType('web_search_20250305')).toBe('web_search');
    expect(toolType(' Web_Search_Preview ')).toBe('web_search_preview');
    expect(toolType('')).toBeNull();
  });

  it("keeps the processor's own keys first in the stored attributes, drops a span's attempt to set them, and reads them back", () => {
    const derived = derivedAttributeEntries({ serviceTier: 'flex', toolCalls: searches(3), toolFees: new Map([['web_search', 30_000_000n]]) });
    const json = storedAttributesJson(
      {
        'chargeback.tool_fee_usd.web_search': '0',
        'chargeback.tool_calls.web_search': '99',
        'chargeback.unpriced_reason': 'spoofed',
        'anthropic.usage.server_tool_use.web_search_requests': 3,
      },
      derived,
    );
    expect(json).toBe(
      '{"chargeback.service_tier":"flex","chargeback.tool_calls.web_search":"3","chargeback.tool_fee_usd.web_search":"0.030000000",' +
        '"anthropic.usage.server_tool_use.web_search_requests":3}',
    );
    expect(readStoredDerived(json)).toEqual({ serviceTier: 'flex', tools: ['web_search'], unpricedReason: null });
    const unpriced = derivedAttributeEntries({ serviceTier: null, toolCalls: searches(1), unpricedReason: 'unknown_tool_fee' });
    expect(readStoredDerived(storedAttributesJson({}, unpriced))).toEqual({ serviceTier: null, tools: ['web_search'], unpricedReason: 'unknown_tool_fee' });
    expect(readStoredDerived('not json')).toEqual({ serviceTier: null, tools: [], unpricedReason: null });
  });
});
