import { z } from 'zod';
import { centsToNanos } from '../../ledger/money.js';
import { type CostComponent, type CostRecord, type ReportPart, type UsageRecord } from '../records.js';
import { count, dimension, money, partialDayNote, rfc3339, utcDay } from './fields.js';

/**
 * Anthropic Admin API: usage report for messages (`/v1/organizations/usage_report/messages`) and cost report
 * (`/v1/organizations/cost_report`) pages (/work/shared/PROVIDER-REPORTS.md §2). No `object` fields; cache creation is
 * nested by TTL; the usage report has no request count; cost `amount` is a decimal string in CENTS.
 */

const usageResult = z.object({
  uncached_input_tokens: count,
  cache_creation: z.object(
    { ephemeral_1h_input_tokens: count.default(0n), ephemeral_5m_input_tokens: count.default(0n) },
    { error: 'expected the cache_creation object {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}' },
  ),
  cache_read_input_tokens: count,
  output_tokens: count,
  api_key_id: dimension,
  workspace_id: dimension,
  model: dimension,
  service_tier: dimension,
});

const costResult = z.object({
  amount: money(centsToNanos),
  currency: z.string().refine((currency) => currency.toUpperCase() === 'USD', 'only USD amounts are supported'),
  workspace_id: dimension,
  description: dimension,
  cost_type: dimension,
  token_type: dimension,
  model: dimension,
  service_tier: dimension,
});

function page<R extends z.ZodType>(result: R) {
  const bucket = z.object({
    starting_at: rfc3339,
    ending_at: rfc3339,
    results: z.array(result, { error: 'expected the results array' }),
  });
  return z.object({
    data: z.array(bucket, { error: 'expected the data array of time buckets' }),
    has_more: z.boolean().optional(),
    next_page: z.string().nullish(),
  });
}

export const anthropicUsagePage = page(usageResult);
export const anthropicCostPage = page(costResult);
export type AnthropicUsagePage = z.output<typeof anthropicUsagePage>;
export type AnthropicCostPage = z.output<typeof anthropicCostPage>;

export const anthropicUsageExpected = 'an Anthropic usage report page from /v1/organizations/usage_report/messages';
export const anthropicCostExpected = 'an Anthropic cost report page from /v1/organizations/cost_report';

export function anthropicUsageRecords(pages: AnthropicUsagePage[]): ReportPart<UsageRecord> {
  const part: ReportPart<UsageRecord> = { records: [], days: new Set(), notes: [] };
  for (const value of pages) {
    for (const bucket of value.data) {
      const day = utcDay(bucket.starting_at);
      part.days.add(day);
      const note = partialDayNote(bucket.starting_at, bucket.ending_at);
      if (note !== null && !part.notes.includes(note)) part.notes.push(note);
      for (const result of bucket.results) {
        part.records.push({
          day,
          model: result.model,
          projectId: result.workspace_id,
          apiKeyId: result.api_key_id,
          tier: result.service_tier,
          requests: null,
          tokens: {
            input: result.uncached_input_tokens,
            cache_read: result.cache_read_input_tokens,
            cache_write: result.cache_creation.ephemeral_5m_input_tokens + result.cache_creation.ephemeral_1h_input_tokens,
            output: result.output_tokens,
          },
        });
      }
    }
  }
  return part;
}

const componentByTokenType: Record<string, CostComponent> = {
  uncached_input_tokens: 'input',
  cache_read_input_tokens: 'cache_read',
  'cache_creation.ephemeral_5m_input_tokens': 'cache_write',
  'cache_creation.ephemeral_1h_input_tokens': 'cache_write',
  output_tokens: 'output',
};

export function anthropicCostRecords(pages: AnthropicCostPage[]): ReportPart<CostRecord> {
  const part: ReportPart<CostRecord> = { records: [], days: new Set(), notes: [] };
  for (const value of pages) {
    for (const bucket of value.data) {
      const day = utcDay(bucket.starting_at);
      part.days.add(day);
      for (const result of bucket.results) {
        const component = result.token_type === null ? 'other' : (componentByTokenType[result.token_type] ?? 'other');
        part.records.push({
          day,
          // Web search and code execution carry no model: they are charges the ledger has no token count for.
          model: result.cost_type === null || result.cost_type === 'tokens' ? result.model : null,
          projectId: result.workspace_id,
          apiKeyId: null,
          tier: result.service_tier,
          component,
          label: result.description ?? result.cost_type,
          amountNanos: result.amount,
          quantityTokens: null,
        });
      }
    }
  }
  return part;
}
