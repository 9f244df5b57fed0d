import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderApiError } from '../../processor/src/reconcile/errors.js';
import { fetchAnthropicReport } from '../../processor/src/reconcile/fetch/anthropic.js';
import { fetchOpenAiReport } from '../../processor/src/reconcile/fetch/openai.js';
import { readCostFile, readUsageFile } from '../../processor/src/reconcile/parse/read-report.js';
import { type FakeAdminApi, startFakeAdminApi } from './fake-admin-api.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const period = { start: '2025-08-01', end: '2025-08-03' };
const noWait = async (): Promise<void> => {};
let api: FakeAdminApi;

beforeAll(async () => {
  api = await startFakeAdminApi();
});
afterAll(async () => {
  await api.close();
});

describe('fetching from the admin APIs', () => {
  it('follows OpenAI cursors to the last page, retries a 429, and reads the same records as the saved report', async () => {
    api.requests.length = 0;
    const report = await fetchOpenAiReport(period, { adminKey: 'test-openai-admin', baseUrl: `${api.url}/v1`, sleep: noWait });
    expect(report.usage?.records).toEqual((await readUsageFile('openai', join(fixtures, 'openai/usage-completions.json'))).records);
    expect(report.costs?.records).toEqual((await readCostFile('openai', join(fixtures, 'openai/costs.json'))).records);
    const range = 'start_time=1754006400&end_time=1754179200&bucket_width=1d';
    expect(api.requests).toEqual([
      `/v1/organization/usage/completions?${range}&limit=31&group_by=model&group_by=project_id&group_by=api_key_id&group_by=batch&group_by=service_tier`,
      `/v1/organization/usage/completions?${range}&limit=31&group_by=model&group_by=project_id&group_by=api_key_id&group_by=batch&group_by=service_tier&page=page_MQ%3D%3D`,
      `/v1/organization/usage/embeddings?${range}&limit=31&group_by=model&group_by=project_id&group_by=api_key_id`,
      `/v1/organization/costs?${range}&limit=180&group_by=project_id&group_by=line_item`,
      `/v1/organization/costs?${range}&limit=180&group_by=project_id&group_by=line_item`,
      `/v1/organization/costs?${range}&limit=180&group_by=project_id&group_by=line_item&page=page_MQ%3D%3D`,
    ]);
  });

  it('follows Anthropic cursors with bracketed group_by[] and the version header', async () => {
    api.requests.length = 0;
    const report = await fetchAnthropicReport(period, { adminKey: 'test-anthropic-admin', baseUrl: api.url, sleep: noWait });
    expect(report.usage?.records).toEqual((await readUsageFile('anthropic', join(fixtures, 'anthropic/usage.json'))).records);
    expect(report.costs?.records).toEqual((await readCostFile('anthropic', join(fixtures, 'anthropic/costs.json'))).records);
    expect(report.usage?.days).toEqual(new Set(['2025-08-01', '2025-08-02']));
    expect(api.requests.map((r) => decodeURIComponent(r))).toEqual([
      '/v1/organizations/usage_report/messages?starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-03T00:00:00Z&bucket_width=1d&limit=31&group_by[]=model&group_by[]=workspace_id&group_by[]=api_key_id&group_by[]=service_tier',
      '/v1/organizations/usage_report/messages?starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-03T00:00:00Z&bucket_width=1d&limit=31&group_by[]=model&group_by[]=workspace_id&group_by[]=api_key_id&group_by[]=service_tier&page=page_MQ==',
      '/v1/organizations/cost_report?starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-03T00:00:00Z&bucket_width=1d&limit=31&group_by[]=workspace_id&group_by[]=description',
      '/v1/organizations/cost_report?starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-03T00:00:00Z&bucket_width=1d&limit=31&group_by[]=workspace_id&group_by[]=description&page=page_MQ==',
    ]);
  });

  it('fails with the status and a hint on a wrong key, without retrying', async () => {
    api.requests.length = 0;
    const error = await fetchAnthropicReport(period, { adminKey: 'sk-ant-api-not-admin', baseUrl: api.url, sleep: noWait }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect((error as ProviderApiError).status).toBe(401);
    expect((error as Error).message).toContain('HTTP 401: {"error":{"message":"invalid admin key"}} — check the admin key');
    expect(api.requests).toHaveLength(1);
  });
});
