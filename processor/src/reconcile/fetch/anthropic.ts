import type { Period } from '../ledger-query.js';
import { parseCostReport, parseUsageReport } from '../parse/read-report.js';
import { type ProviderReport, mergeParts } from '../records.js';
import { type PagerOptions, fetchAllPages } from './pager.js';

/**
 * Anthropic Admin API usage report (messages) and cost report for a period of whole UTC days. `baseUrl` follows
 * the Anthropic SDK's convention, without `/v1`. Arrays go with brackets (`group_by[]=model`), as Anthropic documents.
 */
export interface AnthropicFetchOptions extends PagerOptions {
  adminKey: string;
  baseUrl: string;
}

const anthropicVersion = '2023-06-01';
const usageGroups = ['model', 'workspace_id', 'api_key_id', 'service_tier'];
const costGroups = ['workspace_id', 'description'];

export async function fetchAnthropicReport(period: Period, options: AnthropicFetchOptions): Promise<ProviderReport> {
  const headers = {
    'x-api-key': options.adminKey,
    'anthropic-version': anthropicVersion,
    'user-agent': 'genai-chargeback/0.1 (reconciliation)',
    accept: 'application/json',
  };
  const range = { starting_at: `${period.start}T00:00:00Z`, ending_at: `${period.end}T00:00:00Z`, bucket_width: '1d', limit: '31' };
  const usagePages = await fetchAllPages(
    (page) => endpointUrl(options.baseUrl, 'v1/organizations/usage_report/messages', range, usageGroups, page),
    headers,
    options,
  );
  const costPages = await fetchAllPages(
    (page) => endpointUrl(options.baseUrl, 'v1/organizations/cost_report', range, costGroups, page),
    headers,
    options,
  );
  return {
    provider: 'anthropic',
    usage: mergeParts(usagePages.map(({ url, body }) => parseUsageReport('anthropic', body, url))),
    costs: mergeParts(costPages.map(({ url, body }) => parseCostReport('anthropic', body, url))),
  };
}

function endpointUrl(baseUrl: string, path: string, params: Record<string, string>, groups: string[], page: string | null): URL {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  for (const group of groups) url.searchParams.append('group_by[]', group);
  if (page !== null) url.searchParams.set('page', page);
  return url;
}
