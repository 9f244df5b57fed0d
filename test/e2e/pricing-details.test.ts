/**
 * Prices that depend on more than the model and the token counts, end to end: the real SDKs under the preload, a
 * fake provider that answers as the real ones do, and a real processor pricing with the built-in book.
 * - OpenAI Flex and Priority: the response names the tier that served the call, and the call is priced with the
 *   entry's `service_tiers` rates. A tier the book has no rates for is stored unpriced and named in the
 *   unpriced-models report and alert, never priced at the standard rates.
 * - Anthropic cache writes with a 1-hour lifetime: priced at the 1-hour rate, the rest of the writes at the 5-minute one.
 * - Web and file searches: the entry's fee per call (`per_tool_call`) is part of the call's cost. A model priced without one
 *   (here by a user file) stores the call unpriced, named with its tool in the report and the alert.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from '../../processor/src/demo/fake-provider.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { startProcessor } from '../support/processor-process.js';
import { startApp } from './instrumented-app.js';
import { costNanos, usd } from './list-price.js';

/** `webSearches`, `fileSearches`: made only by the requests that declare that tool. */
const USAGE = {
  'gpt-5': { input: 20_000, cacheRead: 8_000, output: 1_500, webSearches: 3 },
  'gpt-4.1': { input: 9_000, output: 600, webSearches: 2 },
  'gpt-4.1-mini': { input: 4_000, output: 300, fileSearches: 2 },
  'o4-mini': { input: 12_000, cacheRead: 4_000, output: 2_500 },
  'gpt-5.4': { input: 30_000, cacheRead: 10_000, output: 900 },
  'gpt-5.5': { input: 6_000, cacheRead: 2_000, output: 700 },
  'gpt-5-nano': { input: 5_000, output: 400 },
  'claude-sonnet-4-5': { input: 50_000, cacheRead: 20_000, cacheCreation: 12_000, cacheCreation1h: 8_000, output: 900, webSearches: 4 },
  'claude-haiku-4-5': { input: 3_000, output: 200, webSearches: 1 },
};

const dir = mkdtempSync(join(tmpdir(), 'gc-pricing-e2e-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('pricing details, end to end', () => {
  it("prices OpenAI Flex and Priority calls at their tier, Anthropic's 1-hour cache writes and web searches at their rates; an unknown tier or fee stays unpriced", async () => {
    const fake = await startFakeProvider({ models: USAGE });
    cleanups.push(fake.close);
    const negotiated = join(dir, 'negotiated.json');
    writeFileSync(negotiated, JSON.stringify({
      version: 'acme-2026',
      prices: [{ provider: 'anthropic', model: 'claude-haiku-4-5', effective_from: '2025-10-15', input_per_mtok: 0.8, output_per_mtok: 4 }],
    }));
    const processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb'), args: ['--prices', negotiated] });
    cleanups.push(() => processor.stop('SIGKILL'));
    const app = startApp('pricing-details.mjs', {
      FAKE_URL: fake.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: processor.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'ticket-triage',
    });
    cleanups.push(() => app.kill());
    expect(await app.nextLine()).toEqual({ done: 15 });
    // The preload exports the spans before the app exits, and the processor answers only once they are committed.
    expect(await app.end()).toBe(0);
    expect(fake.requests.map((request) => (request.body as { service_tier?: string } | undefined)?.service_tier ?? null)).toEqual([
      'flex', 'priority', null, 'auto', 'flex', 'flex', 'priority', null, null, 'priority', null, null, null, null, null, null, null,
    ]);

    const unpriced = await fetch(`${processor.httpUrl}/v1/reports/unpriced-models?format=json`);
    expect(unpriced.status).toBe(200);
    expect(((await unpriced.json()) as { rows: unknown[] }).rows).toEqual([
      expect.objectContaining({ provider: 'anthropic', model: 'claude-haiku-4-5', service_tier: '(standard)', hosted_tools: 'web_search', unpriced_reason: 'unknown_tool_fee', calls: 1, input_tokens: 3_000 }),
      expect.objectContaining({ provider: 'openai', model: 'gpt-5-nano', service_tier: 'priority', hosted_tools: '(none)', unpriced_reason: 'unknown_service_tier', calls: 1, input_tokens: 5_000 }),
    ]);
    // Gpt-5: 3 × $0.01; gpt-4.1: 2 × $0.025 (preview); Sonnet 4.5: 4 × $0.01; gpt-4.1-mini: 2 × $0.0025; haiku: no fee.
    const fees = await fetch(`${processor.httpUrl}/v1/reports/hosted-tool-fees?format=json`);
    expect(fees.status).toBe(200);
    expect(((await fees.json()) as { rows: unknown[] }).rows).toEqual([
      { team: '(unallocated)', provider: 'openai', model: 'gpt-4.1', tool: 'web_search_preview', calls: 1, unpriced_calls: 0, tool_calls: 2, fees_usd: '0.050000000', calls_cost_usd: '0.072800000' },
      { team: '(unallocated)', provider: 'anthropic', model: 'claude-sonnet-4-5', tool: 'web_search', calls: 1, unpriced_calls: 0, tool_calls: 4, fees_usd: '0.040000000', calls_cost_usd: '0.176500000' },
      { team: '(unallocated)', provider: 'openai', model: 'gpt-5', tool: 'web_search', calls: 1, unpriced_calls: 0, tool_calls: 3, fees_usd: '0.030000000', calls_cost_usd: '0.061000000' },
      { team: '(unallocated)', provider: 'openai', model: 'gpt-4.1-mini', tool: 'file_search', calls: 1, unpriced_calls: 0, tool_calls: 2, fees_usd: '0.005000000', calls_cost_usd: '0.007080000' },
      { team: '(unallocated)', provider: 'anthropic', model: 'claude-haiku-4-5', tool: 'web_search', calls: 1, unpriced_calls: 1, tool_calls: 1, fees_usd: null, calls_cost_usd: null },
    ]);
    expect(await processor.stop()).toBe(0);

    const db = await openDatabase(processor.dbPath);
    try {
      const calls = (
        await db.connection.runAndReadAll(`SELECT request_model, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
          cost_usd::VARCHAR AS cost_usd, cost_source, price_id,
          attributes->>'$."openai.request.service_tier"' AS requested, attributes->>'$."openai.response.service_tier"' AS served,
          attributes->>'$."chargeback.service_tier"' AS read_tier,
          attributes->>'$."anthropic.usage.cache_creation.ephemeral_1h_input_tokens"' AS written_for_an_hour
          FROM llm_calls WHERE NOT contains(attributes::VARCHAR, 'chargeback.tool_calls.') ORDER BY start_time`)
      ).getRowObjectsJS();
      const book = '#builtin-2026-11-24.2';
      const row = (model: Exclude<keyof typeof USAGE, 'claude-sonnet-4-5'>, tier: string | null, requested: string | null, served: string, at: string | null) => {
        const usage = USAGE[model];
        return {
          request_model: model,
          input_tokens: BigInt(usage.input),
          cache_read_tokens: BigInt('cacheRead' in usage ? usage.cacheRead : 0),
          cache_write_tokens: null,
          output_tokens: BigInt(usage.output),
          cost_usd: at === null ? null : usd(costNanos('openai', model, usage, new Date(), tier ?? undefined)),
          cost_source: at === null ? 'unpriced' : 'computed',
          price_id: at === null ? null : `openai/${model}@${at}${tier === null ? '' : `~${tier}`}${book}`,
          requested,
          served,
          read_tier: served === 'default' ? null : served,
          written_for_an_hour: null,
        };
      };
      const sonnet = USAGE['claude-sonnet-4-5'];
      const anthropicRow = {
        request_model: 'claude-sonnet-4-5',
        input_tokens: BigInt(sonnet.input),
        cache_read_tokens: BigInt(sonnet.cacheRead),
        cache_write_tokens: BigInt(sonnet.cacheCreation),
        output_tokens: BigInt(sonnet.output),
        cost_usd: usd(costNanos('anthropic', 'claude-sonnet-4-5', { ...sonnet, cacheWrite: sonnet.cacheCreation, cacheWrite1h: sonnet.cacheCreation1h })),
        cost_source: 'computed',
        price_id: `anthropic/claude-sonnet-4-5@2025-09-29${book}`,
        requested: null,
        served: null,
        read_tier: null,
        written_for_an_hour: String(sonnet.cacheCreation1h),
      };
      expect(calls).toEqual([
        row('gpt-5', 'flex', 'flex', 'flex', '2025-08-07'),
        row('gpt-5', 'priority', 'priority', 'priority', '2025-08-07'),
        row('gpt-5', null, null, 'default', '2025-08-07'),
        row('gpt-5', null, 'auto', 'default', '2025-08-07'),
        row('o4-mini', 'flex', 'flex', 'flex', '2025-04-16'),
        row('gpt-5.4', 'flex', 'flex', 'flex', '2026-03-05'),
        row('gpt-5.5', 'priority', 'priority', 'priority', '2026-04-23'),
        row('gpt-5-nano', null, 'priority', 'priority', null),
        anthropicRow,
        anthropicRow,
      ]);
      // Worked by hand from the rates: gpt-5 Flex is half and Priority twice the base $0.031; gpt-5.5 Priority is 2.5×;
      // Sonnet 4.5 with 8,000 of 12,000 cache writes for an hour: 18,000 × $3 + 20,000 × $0.30 + 4,000 × $3.75
      // + 8,000 × $6 + 900 × $15 per million = $0.1365 (at the 5-minute rate for all writes: $0.1185).
      expect(calls.map((call) => call.cost_usd)).toEqual([
        '0.015500000', '0.062000000', '0.031000000', '0.031000000', '0.010452000', '0.033000000', '0.105000000', null, '0.136500000', '0.136500000',
      ]);

      const searchCalls = (
        await db.connection.runAndReadAll(`SELECT request_model, cost_usd::VARCHAR AS cost_usd, cost_source, price_id,
          attributes->>'$."openai.request.web_search_tool"' AS declared, attributes->>'$."openai.response.web_search_calls"' AS openai_searches,
          attributes->>'$."anthropic.usage.server_tool_use.web_search_requests"' AS anthropic_searches,
          attributes->>'$."openai.response.file_search_calls"' AS file_searches,
          coalesce(attributes->>'$."chargeback.tool_calls.web_search"', attributes->>'$."chargeback.tool_calls.web_search_preview"',
            attributes->>'$."chargeback.tool_calls.file_search"') AS searches,
          coalesce(attributes->>'$."chargeback.tool_fee_usd.web_search"', attributes->>'$."chargeback.tool_fee_usd.web_search_preview"',
            attributes->>'$."chargeback.tool_fee_usd.file_search"') AS fee
          FROM llm_calls WHERE contains(attributes::VARCHAR, 'chargeback.tool_calls.') ORDER BY start_time`)
      ).getRowObjectsJS();
      const gpt5 = USAGE['gpt-5'];
      const gpt41 = USAGE['gpt-4.1'];
      const gpt41mini = USAGE['gpt-4.1-mini'];
      const withSearches = { ...sonnet, cacheWrite: sonnet.cacheCreation, cacheWrite1h: sonnet.cacheCreation1h, toolCalls: { web_search: 4 } };
      expect(searchCalls).toEqual([
        {
          request_model: 'gpt-5',
          cost_usd: usd(costNanos('openai', 'gpt-5', { ...gpt5, toolCalls: { web_search: 3 } })),
          cost_source: 'computed',
          price_id: `openai/gpt-5@2025-08-07${book}`,
          declared: 'web_search',
          openai_searches: '3',
          anthropic_searches: null,
          file_searches: null,
          searches: '3',
          fee: '0.030000000',
        },
        {
          request_model: 'gpt-4.1',
          cost_usd: usd(costNanos('openai', 'gpt-4.1', { ...gpt41, toolCalls: { web_search_preview: 2 } })),
          cost_source: 'computed',
          price_id: `openai/gpt-4.1@2025-04-14${book}`,
          declared: 'web_search_preview_2025_03_11',
          openai_searches: '2',
          anthropic_searches: null,
          file_searches: null,
          searches: '2',
          fee: '0.050000000',
        },
        {
          request_model: 'claude-sonnet-4-5',
          cost_usd: usd(costNanos('anthropic', 'claude-sonnet-4-5', withSearches)),
          cost_source: 'computed',
          price_id: `anthropic/claude-sonnet-4-5@2025-09-29${book}`,
          declared: null,
          openai_searches: null,
          anthropic_searches: '4',
          file_searches: null,
          searches: '4',
          fee: '0.040000000',
        },
        {
          request_model: 'claude-haiku-4-5',
          cost_usd: null,
          cost_source: 'unpriced',
          price_id: null,
          declared: null,
          openai_searches: null,
          anthropic_searches: '1',
          file_searches: null,
          searches: '1',
          fee: null,
        },
        {
          request_model: 'gpt-4.1-mini',
          cost_usd: usd(costNanos('openai', 'gpt-4.1-mini', { ...gpt41mini, toolCalls: { file_search: 2 } })),
          cost_source: 'computed',
          price_id: `openai/gpt-4.1-mini@2025-04-14${book}`,
          declared: null,
          openai_searches: null,
          anthropic_searches: null,
          file_searches: '2',
          searches: '2',
          fee: '0.005000000',
        },
      ]);
      // By hand: gpt-5 $0.031 + 3 × $0.01; gpt-4.1 9,000 × $2 + 600 × $8 per million + 2 × $0.025 (web_search_preview on
      // a non-reasoning model); Sonnet 4.5 $0.1365 + 4 × $0.01; gpt-4.1-mini 4,000 × $0.40 + 300 × $1.60 per million
      // + 2 file searches × $0.0025.
      expect(searchCalls.map((call) => call.cost_usd)).toEqual(['0.061000000', '0.072800000', '0.176500000', null, '0.007080000']);

      const alerts = (await db.connection.runAndReadAll(`SELECT subject, message FROM alerts WHERE kind = 'unpriced_model' ORDER BY subject`)).getRowObjectsJS();
      expect(alerts).toEqual([
        {
          subject: 'anthropic/claude-haiku-4-5 with web_search',
          message: expect.stringContaining('add the model to a --prices file, with a fee per call of web_search (per_tool_call)'),
        },
        {
          subject: 'openai/gpt-5-nano on service tier priority',
          message: expect.stringContaining('add the model to a --prices file, with rates for that tier (service_tiers.priority)'),
        },
      ]);
    } finally {
      db.close();
    }
  });
});
