import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../processor/src/demo/fake-provider.js';
import { startTestCollector, type TestCollector } from '../support/otlp-collector.js';
import { runApp } from './run-app.js';
import { genAiSpans, withAttributionBaggage } from './spans.js';

describe('an app with its own OpenTelemetry SDK using the pieces (no preload)', () => {
  let collector: TestCollector;
  let fake: FakeProvider;

  beforeAll(async () => {
    [collector, fake] = await Promise.all([startTestCollector(), startFakeProvider({ models: { 'gpt-4.1-nano': { input: 11, output: 5 } } })]);
  });

  afterAll(async () => {
    await Promise.all([collector.close(), fake.close()]);
  });

  it('gets attributed GenAI spans under its own spans', async () => {
    const run = await runApp('own-sdk-app.cjs', {
      instrumented: false,
      env: { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'own-sdk' },
    });
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([{ tokens: 16 }]);
    const spans = await collector.waitForSpans((all) => all.length >= 2);
    const [call] = genAiSpans(spans);
    const root = spans.find((span) => span.name === 'handle-request');
    expect(call?.attributes).toMatchObject({ 'chargeback.team': 'platform', 'chargeback.project': 'own-sdk', 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 5 });
    expect(call?.parentSpanId).toBe(root?.spanId);
    expect(withAttributionBaggage(fake.requests)).toEqual([]);
  });
});
