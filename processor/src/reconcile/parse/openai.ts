import { z } from 'zod';
import { dollarsToNanos } from '../../ledger/money.js';
import { type CostComponent, type CostRecord, type ReportPart, type UsageRecord, zeroTokens } from '../records.js';
import { count, decimalText, dimension, money, partialDayNote, unixSeconds, utcDay } from './fields.js';

/**
 * OpenAI Usage API (`/v1/organization/usage/completions`, `/usage/embeddings`) and Costs API (`/v1/organization/costs`)
 * pages, in the 2025-04 and the 2026 field sets (/work/shared/PROVIDER-REPORTS.md §1): only `object`, `input_tokens`,
 * `output_tokens` and `num_model_requests` are required, every other count may be missing.
 */

const completionsResult = z.object({
  object: z.literal('organization.usage.completions.result'),
  input_tokens: count,
  output_tokens: count,
  num_model_requests: count,
  input_cached_tokens: count.nullish(),
  input_cache_write_tokens: count.nullish(),
  input_uncached_tokens: count.nullish(),
  project_id: dimension,
  api_key_id: dimension,
  model: dimension,
  batch: z.boolean().nullish(),
  service_tier: dimension,
});

const embeddingsResult = z.object({
  object: z.literal('organization.usage.embeddings.result'),
  input_tokens: count,
  num_model_requests: count,
  project_id: dimension,
  api_key_id: dimension,
  model: dimension,
});

const usageResult = z.discriminatedUnion('object', [completionsResult, embeddingsResult], {
  error:
    'object: expected "organization.usage.completions.result" or "organization.usage.embeddings.result" ' +
    '(a cost report goes to --costs)',
});

const costResult = z.object({
  object: z.literal('organization.costs.result', {
    error: 'expected object "organization.costs.result" (a usage report goes to --usage)',
  }),
  amount: z.object({
    value: money(dollarsToNanos),
    currency: z.string().refine((currency) => currency.toLowerCase() === 'usd', 'only USD amounts are supported'),
  }),
  line_item: dimension,
  project_id: dimension,
  api_key_id: dimension,
  quantity: decimalText.nullish(),
  quantity_unit: dimension,
});

/** Buckets name their array `results`; the 2025-04 spec schema (not its examples) said `result`, so both are read. */
function page<R extends z.ZodType>(result: R) {
  const bucket = z
    .object({
      object: z.literal('bucket').optional(),
      start_time: unixSeconds,
      end_time: unixSeconds,
      results: z.array(result).optional(),
      result: z.array(result).optional(),
    })
    .transform((value, ctx) => {
      const results = value.results ?? value.result;
      if (results === undefined) {
        ctx.addIssue({ code: 'custom', path: ['results'], message: 'missing the results array' });
        return z.NEVER;
      }
      return { start: value.start_time, end: value.end_time, results: results as z.output<R>[] };
    });
  return z.object({
    object: z.literal('page').optional(),
    data: z.array(bucket, { error: 'expected the data array of time buckets' }),
    has_more: z.boolean().optional(),
    next_page: z.string().nullish(),
  });
}

export const openAiUsagePage = page(usageResult);
export const openAiCostPage = page(costResult);
export type OpenAiUsagePage = z.output<typeof openAiUsagePage>;
export type OpenAiCostPage = z.output<typeof openAiCostPage>;

export const openAiUsageExpected = 'an OpenAI Usage API page from /v1/organization/usage/completions or /usage/embeddings';
export const openAiCostExpected = 'an OpenAI Costs API page from /v1/organization/costs';

export function openAiUsageRecords(pages: OpenAiUsagePage[]): ReportPart<UsageRecord> {
  const part: ReportPart<UsageRecord> = { records: [], days: new Set(), notes: [] };
  for (const value of pages) {
    for (const bucket of value.data) {
      const day = utcDay(bucket.start);
      part.days.add(day);
      const note = partialDayNote(bucket.start, bucket.end);
      if (note !== null && !part.notes.includes(note)) part.notes.push(note);
      for (const result of bucket.results) part.records.push(usageRecord(day, result));
    }
  }
  return part;
}

function usageRecord(day: string, result: z.output<typeof usageResult>): UsageRecord {
  const dimensions = { day, model: result.model, projectId: result.project_id, apiKeyId: result.api_key_id };
  const tokens = zeroTokens();
  if (result.object === 'organization.usage.embeddings.result') {
    tokens.input = result.input_tokens;
    return { ...dimensions, tier: null, requests: result.num_model_requests, tokens };
  }
  tokens.cache_read = result.input_cached_tokens ?? 0n;
  tokens.cache_write = result.input_cache_write_tokens ?? 0n;
  // 2026 reports give the uncached count; 2025 reports only the total, which includes cached (and cache-write) tokens.
  tokens.input = result.input_uncached_tokens ?? result.input_tokens - tokens.cache_read - tokens.cache_write;
  tokens.output = result.output_tokens;
  const tier = result.batch === true ? 'batch' : result.service_tier;
  return { ...dimensions, tier, requests: result.num_model_requests, tokens };
}

export function openAiCostRecords(pages: OpenAiCostPage[]): ReportPart<CostRecord> {
  const part: ReportPart<CostRecord> = { records: [], days: new Set(), notes: [] };
  for (const value of pages) {
    for (const bucket of value.data) {
      const day = utcDay(bucket.start);
      part.days.add(day);
      for (const result of bucket.results) {
        part.records.push(
          openAiCostRecord(
            {
              day,
              amountNanos: result.amount.value,
              lineItem: result.line_item,
              projectId: result.project_id,
              apiKeyId: result.api_key_id,
              quantity: result.quantity ?? null,
              quantityUnit: result.quantity_unit,
            },
          ),
        );
      }
    }
  }
  return part;
}

export interface OpenAiCostLine {
  day: string;
  amountNanos: bigint;
  lineItem: string | null;
  projectId: string | null;
  apiKeyId: string | null;
  quantity: string | null;
  quantityUnit: string | null;
}

/** Shared by the API pages and the dashboard's Cost CSV export. */
export function openAiCostRecord(line: OpenAiCostLine): CostRecord {
  const { model, component, tier } = splitLineItem(line.lineItem);
  const quantityTokens =
    line.quantity !== null && (line.quantityUnit === null || line.quantityUnit === 'tokens') && /^\d+$/.test(line.quantity)
      ? BigInt(line.quantity)
      : null;
  return {
    day: line.day,
    model,
    projectId: line.projectId,
    apiKeyId: line.apiKeyId,
    tier,
    component,
    label: line.lineItem,
    amountNanos: line.amountNanos,
    quantityTokens,
  };
}

/**
 * OpenAI does not specify `line_item`; observed labels are "<model>, <component>" (`gpt-4o-2024-08-06, input`,
 * `gpt-4o, cached input`) beside free-form ones (`Image models`). A label that does not split into a model id and a
 * component is kept as a non-model charge.
 */
export function splitLineItem(lineItem: string | null): { model: string | null; component: CostComponent; tier: string | null } {
  if (lineItem === null) return { model: null, component: 'other', tier: null };
  const comma = lineItem.indexOf(', ');
  const model = comma === -1 ? '' : lineItem.slice(0, comma).trim();
  if (model === '' || /\s/.test(model)) return { model: null, component: 'other', tier: null };
  const what = lineItem.slice(comma + 2).toLowerCase();
  const tier = /\bbatch\b/.test(what) ? 'batch' : /\bpriority\b/.test(what) ? 'priority' : /\bflex\b/.test(what) ? 'flex' : null;
  // "cached input" must win over "input".
  const component: CostComponent = /cached|cache read/.test(what)
    ? 'cache_read'
    : /cache write|cache creation/.test(what)
      ? 'cache_write'
      : /input/.test(what)
        ? 'input'
        : /output/.test(what)
          ? 'output'
          : 'other';
  return { model, component, tier };
}
