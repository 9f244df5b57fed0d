/**
 * OpenAI Flex and Priority calls priced at their tier's rates, end to end: the real `openai` SDK under the preload
 * asks for a service tier, the fake provider answers with the tier that served it (as OpenAI does), and a real
 * processor prices each call with the built-in book's `service_tiers` rates. A tier the book has no rates for is
 * stored unpriced and named in the unpriced-models report and alert, never priced at the standard rates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from '../../processor/src/demo/fake-provider.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { startProcessor } from '../support/processor-process.js';
import { startApp } from './instrumented-app.js';
import { costNanos, usd } from './list-price.js';

const USAGE = {
  'gpt-5': { input: 20_000, cacheRead: 8_000, output: 1_500 },
  'o4-mini': { input: 12_000, cacheRead: 4_000, output: 2_500 },
  'gpt-5.4': { input: 30_000, cacheRead: 10_000, output: 900 },
  'gpt-5.5': { input: 6_000, cacheRead: 2_000, output: 700 },
  'gpt-5-nano': { input: 5_000, output: 400 },
};

const dir = mkdtempSync(join(tmpdir(), 'gc-tiers-e2e-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenAI service tiers, end to end', () => {
  it('prices Flex and Priority calls at their tier, the default tier at the base rates, and leaves an unknown tier unpriced', async () => {
    const fake = await startFakeProvider({ models: USAGE });
    cleanups.push(fake.close);
    const processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb') });
    cleanups.push(() => processor.stop('SIGKILL'));
    const app = startApp('service-tiers.mjs', {
      FAKE_URL: fake.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: processor.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'ticket-triage',
    });
    cleanups.push(() => app.kill());
    expect(await app.nextLine()).toEqual({ done: 8 });
    // The preload exports the spans before the app exits, and the processor answers only once they are committed.
    expect(await app.end()).toBe(0);
    expect(fake.requests.map((request) => (request.body as { service_tier?: string } | undefined)?.service_tier ?? null)).toEqual([
      'flex', 'priority', null, 'auto', 'flex', 'flex', 'priority', null, null, 'priority',
    ]);

    const unpriced = await fetch(`${processor.httpUrl}/v1/reports/unpriced-models?format=json`);
    expect(unpriced.status).toBe(200);
    expect(((await unpriced.json()) as { rows: unknown[] }).rows).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'gpt-5-nano', service_tier: 'priority', calls: 1, input_tokens: 5_000 }),
    ]);
    expect(await processor.stop()).toBe(0);

    const db = await openDatabase(processor.dbPath);
    try {
      const calls = (
        await db.connection.runAndReadAll(`SELECT request_model, input_tokens, cache_read_tokens, output_tokens,
          cost_usd::VARCHAR AS cost_usd, cost_source, price_id,
          attributes->>'$."openai.request.service_tier"' AS requested, attributes->>'$."openai.response.service_tier"' AS served
          FROM llm_calls ORDER BY start_time`)
      ).getRowObjectsJS();
      const book = '#builtin-2026-11-23.2';
      const row = (model: keyof typeof USAGE, tier: string | null, requested: string | null, served: string, at: string | null) => {
        const usage = USAGE[model];
        return {
          request_model: model,
          input_tokens: BigInt(usage.input),
          cache_read_tokens: BigInt('cacheRead' in usage ? usage.cacheRead : 0),
          output_tokens: BigInt(usage.output),
          cost_usd: at === null ? null : usd(costNanos('openai', model, usage, new Date(), tier ?? undefined)),
          cost_source: at === null ? 'unpriced' : 'computed',
          price_id: at === null ? null : `openai/${model}@${at}${tier === null ? '' : `~${tier}`}${book}`,
          requested,
          served,
        };
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
      ]);
      // Worked by hand from the rates: gpt-5 Flex is half and Priority twice the base $0.031; gpt-5.5 Priority is 2.5×.
      expect(calls.map((call) => call.cost_usd)).toEqual(['0.015500000', '0.062000000', '0.031000000', '0.031000000', '0.010452000', '0.033000000', '0.105000000', null]);

      const alerts = (await db.connection.runAndReadAll(`SELECT subject, message FROM alerts WHERE kind = 'unpriced_model'`)).getRowObjectsJS();
      expect(alerts).toEqual([
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
