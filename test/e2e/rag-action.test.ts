/**
 * Issue 4 end to end: a two-service RAG action. Service A (HTTP server, the request's attribution in its baggage)
 * embeds the query and calls service B over HTTP; B reranks with one model and answers with another. Both run
 * under the instrumentation preload and export OTLP (http/protobuf) to one real processor process, which rolls the
 * three calls in two services up into one action.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from '../../processor/src/demo/fake-provider.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { startApp } from './instrumented-app.js';
import { costNanos, usd } from './list-price.js';

/** What the fake provider reports for each model (semantic-convention meaning: input includes the cache read). */
const USAGE = {
  embed: { input: 1_200 },
  rerank: { input: 3_000, output: 50 },
  answer: { input: 2_500, output: 300, cacheRead: 1_000 },
};

const dir = mkdtempSync(join(tmpdir(), 'gc-rag-e2e-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the processor's top-actions report until the trace's action is written complete. */
async function waitForCompleteAction(processor: ProcessorProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${processor.httpUrl}/v1/reports/top-actions?format=json`);
    expect(response.status).toBe(200);
    const { rows } = (await response.json()) as { rows: Array<{ complete: boolean; calls: number }> };
    if (rows.some((row) => row.complete && row.calls === 3)) return;
    await sleep(100);
  }
  throw new Error('no complete action with 3 calls in time');
}

describe('a two-service RAG action with real processes', () => {
  it("rolls three calls in two services up into one action named by A's server span and charged to A's team", async () => {
    const fake = await startFakeProvider({
      models: { 'text-embedding-3-small': USAGE.embed, 'gpt-4.1-mini': USAGE.rerank, 'claude-haiku-4-5': USAGE.answer },
    });
    cleanups.push(fake.close);
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, 'rollup: { wait: 500ms }\n');
    const processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb'), args: ['--config', configPath] });
    cleanups.push(() => processor.stop('SIGKILL'));

    const otel = { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: processor.httpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
    const ranker = startApp('rag-ranker.mjs', { ...otel, OTEL_SERVICE_NAME: 'rag-ranker', OTEL_RESOURCE_ATTRIBUTES: 'chargeback.team=platform' });
    cleanups.push(() => ranker.kill());
    const frontend = startApp('rag-frontend.mjs', { ...otel, OTEL_SERVICE_NAME: 'rag-frontend', RANKER_URL: `http://127.0.0.1:${(await ranker.nextLine()).port}` });
    cleanups.push(() => frontend.kill());

    const response = await fetch(`http://127.0.0.1:${(await frontend.nextLine()).port}/api/search`, {
      method: 'POST',
      body: JSON.stringify({ query: 'When do budgets reset?' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ answer: expect.stringContaining('fake reply') });
    // Each service ends after its one request and exports its spans on the way out.
    expect(await Promise.all([frontend.end(), ranker.end()])).toEqual([0, 0]);
    expect(fake.requests.map((request) => [request.path, (request.body as { model: string }).model])).toEqual([
      ['/v1/embeddings', 'text-embedding-3-small'],
      ['/v1/chat/completions', 'gpt-4.1-mini'],
      ['/v1/messages', 'claude-haiku-4-5'],
    ]);

    await waitForCompleteAction(processor);
    expect(await processor.stop()).toBe(0);

    const embed = costNanos('openai', 'text-embedding-3-small', USAGE.embed);
    const rerank = costNanos('openai', 'gpt-4.1-mini', USAGE.rerank);
    const answer = costNanos('anthropic', 'claude-haiku-4-5', USAGE.answer);
    const db = await openDatabase(processor.dbPath);
    try {
      const calls = (
        await db.connection.runAndReadAll(`SELECT trace_id, service_name, team, project, feature, customer, action, provider, operation,
          request_model, input_tokens, output_tokens, cache_read_tokens, cost_usd::VARCHAR AS cost_usd, cost_source, status
          FROM llm_calls ORDER BY start_time`)
      ).getRowObjectsJS();
      const traceId = calls[0]?.trace_id;
      const owner = { trace_id: traceId, team: 'search', project: 'docs-assistant', feature: 'semantic-search', customer: 'acme', action: null };
      expect(calls).toEqual([
        {
          ...owner,
          service_name: 'rag-frontend',
          provider: 'openai',
          operation: 'embeddings',
          request_model: 'text-embedding-3-small',
          input_tokens: 1_200n,
          output_tokens: null,
          cache_read_tokens: null,
          cost_usd: usd(embed),
          cost_source: 'computed',
          status: 'ok',
        },
        {
          ...owner,
          service_name: 'rag-ranker',
          provider: 'openai',
          operation: 'chat',
          request_model: 'gpt-4.1-mini',
          input_tokens: 3_000n,
          output_tokens: 50n,
          cache_read_tokens: 0n,
          cost_usd: usd(rerank),
          cost_source: 'computed',
          status: 'ok',
        },
        {
          ...owner,
          service_name: 'rag-ranker',
          provider: 'anthropic',
          operation: 'chat',
          request_model: 'claude-haiku-4-5',
          input_tokens: 2_500n,
          output_tokens: 300n,
          cache_read_tokens: 1_000n,
          cost_usd: usd(answer),
          cost_source: 'computed',
          status: 'ok',
        },
      ]);

      const actions = (
        await db.connection.runAndReadAll(`SELECT trace_id, action, root_span_name, service_name, team, project, feature, customer,
          calls, failed_calls, unpriced_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
          cost_usd::VARCHAR AS cost_usd, failed_cost_usd::VARCHAR AS failed_cost_usd, models, complete FROM actions`)
      ).getRowObjectsJS();
      expect(actions).toEqual([
        {
          trace_id: traceId,
          action: 'POST /api/search',
          root_span_name: 'POST /api/search',
          service_name: 'rag-frontend',
          team: 'search',
          project: 'docs-assistant',
          feature: 'semantic-search',
          customer: 'acme',
          calls: 3,
          failed_calls: 0,
          unpriced_calls: 0,
          input_tokens: 6_700n,
          output_tokens: 350n,
          cache_read_tokens: 1_000n,
          cache_write_tokens: 0n,
          cost_usd: usd(embed + rerank + answer),
          failed_cost_usd: '0.000000000',
          models: ['claude-haiku-4-5', 'gpt-4.1-mini', 'text-embedding-3-small'],
          complete: true,
        },
      ]);
      expect(usd(embed + rerank + answer)).toBe('0.004404000');
    } finally {
      await db.close();
    }
  }, 60_000);
});
