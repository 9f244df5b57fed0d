import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '../../processor/src/demo/fake-provider.js';
import { SpanKind, StatusCode } from '../../processor/src/otlp/index.js';
import { startTestCollector, type TestCollector } from '../support/otlp-collector.js';
import { runApp, type AppRun } from './run-app.js';
import { genAiSpans, spanOf, USAGE_KEYS, withAttributionBaggage } from './spans.js';

const MODELS: FakeProviderOptions['models'] = {
  'gpt-4.1': { input: 1200, cacheRead: 1000, output: 300, reasoning: 120 },
  'o4-mini': { input: 900, cacheRead: 512, output: 700, reasoning: 500 },
  'text-embedding-3-small': { input: 42 },
  'gpt-4.1-mini-fail-429-once': { input: 20, output: 7 },
  'gpt-4.1-nano': { input: 11, output: 5 },
  'gpt-3.5-turbo-instruct': { input: 6, output: 16 },
};
const SCENARIOS = 26;
/** `models-list` makes no model call. */
const CALLS = SCENARIOS - 1;

describe('openai (ESM app) under the preload', () => {
  let collector: TestCollector;
  let fake: FakeProvider;
  let plainFake: FakeProvider;
  let instrumented: AppRun;
  let plain: AppRun;

  beforeAll(async () => {
    [collector, fake, plainFake] = await Promise.all([startTestCollector(), startFakeProvider({ models: MODELS }), startFakeProvider({ models: MODELS })]);
    const env = (url: string) => ({
      FAKE_URL: url,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'assistant-api',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    [instrumented, plain] = await Promise.all([
      runApp('openai-app.mjs', { env: env(fake.url) }),
      runApp('openai-app.mjs', { env: env(plainFake.url), instrumented: false }),
    ]);
    await collector.waitForSpans((spans) => genAiSpans(spans).length >= CALLS);
  });

  afterAll(async () => {
    await Promise.all([collector?.close(), fake?.close(), plainFake?.close()]);
  });

  it('leaves what the app receives unchanged, streams included', () => {
    expect(instrumented.code).toBe(0);
    expect(instrumented.stderr).toBe('');
    expect(instrumented.lines).toHaveLength(SCENARIOS);
    expect(instrumented.lines).toEqual(plain.lines);
  });

  it('emits exactly one CLIENT span per call, named {operation} {model}, with the service resource', () => {
    const spans = genAiSpans(collector.spans);
    expect(spans).toHaveLength(CALLS);
    expect(new Set(spans.map((span) => span.attributes['chargeback.feature'])).size).toBe(CALLS);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.name).toBe(`${String(span.attributes['gen_ai.operation.name'])} ${String(span.attributes['gen_ai.request.model'])}`);
      expect(span.resource['service.name']).toBe('assistant-api');
      expect(span.resource['deployment.environment.name']).toBe('test');
      expect(span.attributes['gen_ai.provider.name']).toBe('openai');
      expect(span.attributes['server.address']).toBe('127.0.0.1');
    }
    // The provider requests' own HTTP spans are folded into the GenAI span (attempt count), not exported; a request
    // that is no model call keeps its HTTP span.
    const httpSpans = collector.spans.filter((span) => !span.scopeName.startsWith('@genai-chargeback'));
    expect(httpSpans.map((span) => span.attributes['url.path'])).toEqual(['/v1/models']);
  });

  it('records chat completion usage to the token, with cache-read and reasoning tokens', () => {
    expect(spanOf(collector.spans, 'chat').attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.response.model': 'gpt-4.1',
      'gen_ai.response.id': 'chatcmpl-fake000001',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 120,
      'chargeback.team': 'search',
      'chargeback.project': 'assistant',
    });
  });

  it('gets exact usage for streams that did not ask for it, hiding the extra chunk from the app', () => {
    for (const feature of ['chat-stream', 'chat-stream-helper', 'chat-stream-own-usage']) {
      expect(spanOf(collector.spans, feature).attributes).toMatchObject({
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.reasoning.output_tokens': 120,
        'gen_ai.response.finish_reasons': ['stop'],
      });
    }
    const streamed = fake.requests.filter((request) => request.stream && request.path === '/v1/chat/completions');
    for (const request of streamed) expect(request.body).toMatchObject({ stream_options: { include_usage: true } });
    const chunks = instrumented.lines.find((line) => line['scenario'] === 'chat-stream')?.['result'] as Record<string, unknown>[];
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.filter((chunk) => 'usage' in chunk)).toEqual([]);
    const ownUsage = instrumented.lines.find((line) => line['scenario'] === 'chat-stream-own-usage')?.['result'] as Record<string, unknown>[];
    expect(ownUsage.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1200, completion_tokens: 300 } });
  });

  it('keeps withResponse() and asResponse() working; a raw response is reported without usage', () => {
    expect(spanOf(collector.spans, 'with-response').attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 300 });
    const raw = spanOf(collector.spans, 'raw-response');
    expect(raw.statusCode).toBe(StatusCode.UNSET);
    for (const key of USAGE_KEYS) expect(raw.attributes).not.toHaveProperty(key);
    const rawResult = instrumented.lines.find((line) => line['scenario'] === 'raw-response')?.['result'];
    expect(rawResult).toMatchObject({ object: 'chat.completion', usage: { prompt_tokens: 1200 } });
  });

  it('records Responses API usage, plain and streamed', () => {
    for (const feature of ['responses', 'responses-stream']) {
      expect(spanOf(collector.spans, feature).attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'o4-mini',
        'gen_ai.response.model': 'o4-mini',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 900,
        'gen_ai.usage.output_tokens': 700,
        'gen_ai.usage.cache_read.input_tokens': 512,
        'gen_ai.usage.reasoning.output_tokens': 500,
      });
    }
    expect(spanOf(collector.spans, 'responses-stream').attributes['gen_ai.response.id']).toMatch(/^resp_fake/);
  });

  it('records the service tier that served each call (it sets the price), and none asked for when the app asked none', () => {
    for (const feature of ['chat', 'chat-stream', 'responses', 'responses-stream', 'responses-background']) {
      const attributes = spanOf(collector.spans, feature).attributes;
      expect(attributes['openai.response.service_tier']).toBe('default');
      expect(attributes).not.toHaveProperty('openai.request.service_tier');
    }
  });

  it('reports a background response once it finished, with its usage, on the span of the call that created it', () => {
    const line = instrumented.lines.find((each) => each['scenario'] === 'responses-background');
    expect(line?.['result']).toMatchObject({ statuses: ['queued', 'in_progress', 'completed'] });
    const span = spanOf(collector.spans, 'responses-background');
    const polls = fake.requests.filter((request) => request.method === 'GET' && request.path === `/v1/responses/${String(span.attributes['gen_ai.response.id'])}`);
    expect(polls.map((poll) => poll.usage === undefined)).toEqual([true, false]);
    expect(span.statusCode).toBe(StatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'o4-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 700,
      'gen_ai.usage.cache_read.input_tokens': 512,
      'gen_ai.usage.reasoning.output_tokens': 500,
    });
    // The span lasts until the app saw it finished: past the second poll, not only the creation.
    expect(Number(span.endTimeUnixNano / 1_000_000n)).toBeGreaterThanOrEqual(polls[1]!.receivedAtMs);

    // Left after its first streamed event (and collected), or cut midway: the response went on, and the poll that found it
    // completed ended the call; lost after two events and resumed: the resumed stream's final event did.
    for (const feature of ['responses-background-stream', 'responses-background-cut', 'responses-background-resume']) {
      expect(spanOf(collector.spans, feature).attributes).toMatchObject({
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 900,
        'gen_ai.usage.output_tokens': 700,
      });
    }
    const resumed = instrumented.lines.find((each) => each['scenario'] === 'responses-background-resume')?.['result'] as { types: string[] };
    expect(resumed.types.at(0)).toBe('response.created');
    expect(resumed.types.at(-1)).toBe('response.completed');

    const cancelled = spanOf(collector.spans, 'responses-background-cancel');
    expect(cancelled.attributes['gen_ai.response.finish_reasons']).toEqual(['cancelled']);
    for (const key of USAGE_KEYS) expect(cancelled.attributes).not.toHaveProperty(key);
  });

  it('records legacy completions usage, plain and streamed, hiding the usage chunk it asked for', () => {
    for (const feature of ['text-completion', 'text-completion-stream']) {
      const span = spanOf(collector.spans, feature);
      expect(span.name).toBe('text_completion gpt-3.5-turbo-instruct');
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'text_completion',
        'gen_ai.response.model': 'gpt-3.5-turbo-instruct',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 6,
        'gen_ai.usage.output_tokens': 16,
      });
      expect(span.attributes['gen_ai.response.id']).toMatch(/^cmpl-fake/);
    }
    const streamed = fake.requests.filter((request) => request.path === '/v1/completions' && request.stream);
    expect(streamed.map((request) => request.body)).toEqual([expect.objectContaining({ stream_options: { include_usage: true } })]);
    const chunks = instrumented.lines.find((line) => line['scenario'] === 'text-completion-stream')?.['result'] as Record<string, unknown>[];
    expect(chunks).toHaveLength(11);
    expect(chunks.filter((chunk) => 'usage' in chunk)).toEqual([]);
  });

  it('records embeddings input tokens and no output tokens', () => {
    const attributes = spanOf(collector.spans, 'embeddings').attributes;
    expect(attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.input_tokens': 42 });
    expect(attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
  });

  it("counts the SDK's own retries and marks failed calls", () => {
    const retried = spanOf(collector.spans, 'retry-429');
    expect(retried.statusCode).toBe(StatusCode.UNSET);
    expect(retried.attributes).toMatchObject({ 'http.request.resend_count': 1, 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 7 });
    expect(fake.requests.filter((request) => request.fault === 'fail-429-once').map((request) => request.status)).toEqual([429, 200]);

    const failed = spanOf(collector.spans, 'error-500');
    expect(failed.statusCode).toBe(StatusCode.ERROR);
    expect(failed.attributes).toMatchObject({ 'error.type': '500', 'http.request.resend_count': 2 });
    for (const key of USAGE_KEYS) expect(failed.attributes).not.toHaveProperty(key);
    expect(fake.requests.filter((request) => request.fault === 'fail-500')).toHaveLength(3);
    expect(spanOf(collector.spans, 'chat').attributes).not.toHaveProperty('http.request.resend_count');
  });

  it('ends streams that fail midway or that the app abandons with what was received', () => {
    const cut = spanOf(collector.spans, 'cut-stream');
    expect(cut.statusCode).toBe(StatusCode.ERROR);
    expect(cut.attributes['error.type']).toBe('UND_ERR_SOCKET');
    expect(cut.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-fake/);
    const cutResult = instrumented.lines.find((line) => line['scenario'] === 'cut-stream')?.['result'];
    expect(cutResult).toMatchObject({ error: 'TypeError' });

    const abandoned = spanOf(collector.spans, 'abandon-stream');
    expect(abandoned.statusCode).toBe(StatusCode.UNSET);
    expect(abandoned.attributes['gen_ai.response.model']).toBe('gpt-4.1');
    expect(abandoned.attributes).not.toHaveProperty('error.type');
    expect(abandoned.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');

    // Dropped without being read to the end or closed: ended when collected, the call reported without usage.
    for (const feature of ['unread-stream', 'dropped-iterator', 'dropped-promise']) {
      const dropped = spanOf(collector.spans, feature);
      expect(dropped.statusCode).toBe(StatusCode.UNSET);
      expect(dropped.attributes['gen_ai.request.model']).toBe('gpt-4.1');
      for (const key of USAGE_KEYS) expect(dropped.attributes).not.toHaveProperty(key);
    }
    expect(spanOf(collector.spans, 'dropped-iterator').attributes['gen_ai.response.model']).toBe('gpt-4.1');
  });

  it('carries attribution across timers and event emitters, and merges nested scopes', () => {
    expect(spanOf(collector.spans, 'timers-emitters').attributes).toMatchObject({ 'chargeback.team': 'search', 'chargeback.project': 'assistant' });
    expect(spanOf(collector.spans, 'nested').attributes).toMatchObject({
      'chargeback.team': 'billing',
      'chargeback.project': 'assistant',
      'chargeback.customer': 'acme',
      'chargeback.action': 'answer',
      'user.id': 'u-42',
      'deployment.environment.name': 'staging',
    });
  });

  it('sends no prompt or completion text on spans and no attribution baggage to the provider', () => {
    const text = JSON.stringify(genAiSpans(collector.spans).map((span) => span.attributes));
    expect(text).not.toContain('How much did the search team spend');
    expect(text).not.toContain('fake reply');
    expect(fake.requests.length).toBeGreaterThanOrEqual(SCENARIOS);
    expect(fake.requests.filter((request) => request.path === '/v1/models')).toHaveLength(1);
    expect(withAttributionBaggage(fake.requests)).toEqual([]);
  });
});
