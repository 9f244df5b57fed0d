import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '../../processor/src/demo/fake-provider.js';
import { SpanKind, StatusCode } from '../../processor/src/otlp/index.js';
import { startTestCollector, type TestCollector } from '../support/otlp-collector.js';
import { runApp, type AppRun } from './run-app.js';
import { genAiSpans, spanOf, withAttributionBaggage } from './spans.js';

// Semantic-convention meaning: 1250 input tokens of which 1000 cache reads and 200 cache writes; the wire says 50.
const MODELS: FakeProviderOptions['models'] = {
  'claude-sonnet-4-6': { input: 1250, cacheRead: 1000, cacheCreation: 200, output: 300 },
  'claude-haiku-4-5-fail-429-once': { input: 30, output: 8 },
  'claude-haiku-4-5-cut-stream': { input: 640, cacheRead: 600, output: 90 },
};
const SCENARIOS = 12;
/** A finished `claude-sonnet-4-6` call as its span reports it: the wire's 50 input tokens plus the cache tokens. */
const SONNET_CALL = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'claude-sonnet-4-6',
  'gen_ai.response.model': 'claude-sonnet-4-6',
  'gen_ai.response.finish_reasons': ['end_turn'],
  'gen_ai.usage.input_tokens': 1250,
  'gen_ai.usage.output_tokens': 300,
  'gen_ai.usage.cache_read.input_tokens': 1000,
  'gen_ai.usage.cache_creation.input_tokens': 200,
  'chargeback.team': 'search',
};
/** `thread-stream` makes two calls, every other scenario one. */
const CALLS = SCENARIOS + 1;

describe('@anthropic-ai/sdk (CommonJS app) under the preload', () => {
  let collector: TestCollector;
  let fake: FakeProvider;
  let plainFake: FakeProvider;
  let instrumented: AppRun;
  let plain: AppRun;

  beforeAll(async () => {
    [collector, fake, plainFake] = await Promise.all([startTestCollector(), startFakeProvider({ models: MODELS }), startFakeProvider({ models: MODELS })]);
    // Default protocol (http/protobuf); ANTHROPIC_OPEN_TELEMETRY left unset, as most apps leave it.
    const env = (url: string) => ({ FAKE_URL: url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'support-bot' });
    [instrumented, plain] = await Promise.all([
      runApp('anthropic-app.cjs', { env: env(fake.url) }),
      runApp('anthropic-app.cjs', { env: env(plainFake.url), instrumented: false }),
    ]);
    await collector.waitForSpans((spans) => genAiSpans(spans).length >= CALLS);
  });

  afterAll(async () => {
    await Promise.all([collector?.close(), fake?.close(), plainFake?.close()]);
  });

  it('leaves what the app receives unchanged', () => {
    expect(instrumented.code).toBe(0);
    expect(instrumented.stderr).toBe('');
    expect(instrumented.lines).toHaveLength(SCENARIOS);
    expect(instrumented.lines).toEqual(plain.lines);
  });

  it("reports each call by exactly one usage-bearing span: the SDK's own span is suppressed", () => {
    const withUsage = collector.spans.filter((span) => 'gen_ai.usage.input_tokens' in span.attributes);
    expect(withUsage).toHaveLength(CALLS);
    expect(collector.spans.filter((span) => span.scopeName.startsWith('com.anthropic'))).toEqual([]);
    for (const span of genAiSpans(collector.spans)) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(span.resource['service.name']).toBe('support-bot');
    }
  });

  it('converts input tokens to the semantic-convention meaning (cache reads and writes included)', () => {
    expect(fake.requests[0]?.usage).toMatchObject({ input: 1250 });
    const wire = (instrumented.lines[0]?.['result'] as { usage: Record<string, number> }).usage;
    expect(wire).toMatchObject({ input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 });
    const features = ['messages', 'messages-stream', 'messages-stream-helper', 'beta-messages', 'beta-messages-stream-helper', 'thread-send', 'tool-runner', 'tool-runner-stream'];
    for (const feature of features) {
      expect(spanOf(collector.spans, feature).attributes).toMatchObject(SONNET_CALL);
    }
    expect(spanOf(collector.spans, 'messages').name).toBe('chat claude-sonnet-4-6');
    expect(fake.requests.filter((request) => request.headers['anthropic-beta'] === 'context-1m-2025-08-07')).toHaveLength(2);
  });

  it('reports the streamed turns of a message thread with their usage, though the SDK parses them through a request of its own', () => {
    const turns = genAiSpans(collector.spans).filter((span) => span.attributes['chargeback.feature'] === 'thread-stream');
    expect(turns).toHaveLength(2);
    for (const turn of turns) {
      expect(turn.statusCode).toBe(StatusCode.UNSET);
      expect(turn.attributes).toMatchObject(SONNET_CALL);
    }
    // The second turn continued the thread the first created: each span carries its own turn's response.
    const threadBodies = fake.requests.map((request) => request.body as { thread?: unknown; stream?: boolean }).filter((body) => body.thread !== undefined);
    const [firstId, secondId] = turns.map((turn) => turn.attributes['gen_ai.response.id']).sort();
    expect(threadBodies).toContainEqual(expect.objectContaining({ stream: true, thread: { type: 'continue', previous_message_id: firstId } }));
    expect(secondId).not.toBe(firstId);
  });

  it("counts the SDK's retries on 429", () => {
    expect(spanOf(collector.spans, 'retry-429').attributes).toMatchObject({
      'http.request.resend_count': 1,
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 8,
    });
  });

  it('ends a cut or abandoned stream with the usage received so far', () => {
    const cut = spanOf(collector.spans, 'cut-stream');
    expect(cut.statusCode).toBe(StatusCode.ERROR);
    expect(cut.attributes['error.type']).toBe('UND_ERR_SOCKET');
    // message_start arrived (input and cache, output 1 so far); message_delta never did.
    expect(cut.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 640, 'gen_ai.usage.cache_read.input_tokens': 600, 'gen_ai.usage.output_tokens': 1 });
    expect(cut.attributes).not.toHaveProperty('gen_ai.response.finish_reasons');

    const abandoned = spanOf(collector.spans, 'abandon-stream');
    expect(abandoned.statusCode).toBe(StatusCode.UNSET);
    expect(abandoned.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 1250, 'gen_ai.usage.output_tokens': 1 });
  });

  it('sends no attribution baggage to the provider', () => {
    expect(fake.requests).toHaveLength(CALLS + 1);
    expect(withAttributionBaggage(fake.requests)).toEqual([]);
  });
});

describe('@anthropic-ai/sdk with its own spans turned on by the app', () => {
  it('puts the SDK span under the GenAI span, so the processor sees both for one call', async () => {
    const [collector, fake] = await Promise.all([startTestCollector(), startFakeProvider({ models: MODELS })]);
    try {
      const run = await runApp('anthropic-app.cjs', {
        env: { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, SCENARIOS: 'messages', ANTHROPIC_OPEN_TELEMETRY: 'true' },
      });
      expect(run.code).toBe(0);
      const spans = await collector.waitForSpans((all) => all.length >= 2);
      const ours = spanOf(spans, 'messages');
      const sdk = spans.find((span) => span.scopeName === 'com.anthropic.sdk.typescript');
      expect(sdk?.name).toBe('anthropic.messages.create');
      expect(sdk?.parentSpanId).toBe(ours.spanId);
      expect(sdk?.traceId).toBe(ours.traceId);
    } finally {
      await Promise.all([collector.close(), fake.close()]);
    }
  });
});
