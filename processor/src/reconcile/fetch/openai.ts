import type { Period } from '../ledger-query.js';
import { parseCostReport, parseUsageReport } from '../parse/read-report.js';
import { type ProviderReport, mergeParts } from '../records.js';
import { type PagerOptions, fetchAllPages } from './pager.js';

/**
 * OpenAI Usage API (completions and embeddings) and Costs API for a period of whole UTC days. `baseUrl` follows the
 * OpenAI SDK's convention and includes `/v1`. Arrays go as repeated keys (`group_by=model&group_by=project_id`), the
 * OpenAPI default the spec implies.
 */
export interface OpenAiFetchOptions extends PagerOptions {
  adminKey: string;
  baseUrl: string;
}

const usageGroups = {
  completions: ['model', 'project_id', 'api_key_id', 'batch', 'service_tier'],
  embeddings: ['model', 'project_id', 'api_key_id'],
};

export async function fetchOpenAiReport(period: Period, options: OpenAiFetchOptions): Promise<ProviderReport> {
  const headers = { authorization: `Bearer ${options.adminKey}`, accept: 'application/json' };
  const range = { start_time: unixSeconds(period.start), end_time: unixSeconds(period.end), bucket_width: '1d' };
  const usageParts = [];
  for (const [endpoint, groups] of Object.entries(usageGroups)) {
    const urlFor = (page: string | null): URL => endpointUrl(options.baseUrl, `organization/usage/${endpoint}`, { ...range, limit: '31' }, groups, page);
    const pages = await fetchAllPages(urlFor, headers, options);
    usageParts.push(...pages.map(({ url, body }) => parseUsageReport('openai', body, url)));
  }
  const costPages = await fetchAllPages(
    (page) => endpointUrl(options.baseUrl, 'organization/costs', { ...range, limit: '180' }, ['project_id', 'line_item'], page),
    headers,
    options,
  );
  return {
    provider: 'openai',
    usage: mergeParts(usageParts),
    costs: mergeParts(costPages.map(({ url, body }) => parseCostReport('openai', body, url))),
  };
}

function endpointUrl(baseUrl: string, path: string, params: Record<string, string>, groups: string[], page: string | null): URL {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  for (const group of groups) url.searchParams.append('group_by', group);
  if (page !== null) url.searchParams.set('page', page);
  return url;
}

function unixSeconds(day: string): string {
  return String(Date.parse(`${day}T00:00:00Z`) / 1000);
}
