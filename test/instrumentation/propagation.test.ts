import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../processor/src/demo/fake-provider.js';
import { SpanKind } from '../../processor/src/otlp/index.js';
import { startTestCollector, type TestCollector } from '../support/otlp-collector.js';
import { runApp, type AppRun } from './run-app.js';
import { genAiSpans, withAttributionBaggage } from './spans.js';

/** Runs service B, then service A against it once B listens; returns both runs. */
async function runServices(fakeUrl: string, collectorUrl: string, aEnv: Record<string, string> = {}): Promise<{ a: AppRun; b: AppRun }> {
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const b = runApp('service-b.mjs', {
    env: { ...otel, FAKE_URL: fakeUrl, REQUESTS: '2', OTEL_SERVICE_NAME: 'svc-b' },
    onLine: (line) => {
      if (line.startsWith('{"port"')) listening((JSON.parse(line) as { port: number }).port);
    },
  });
  const a = runApp('service-a.mjs', { env: { ...otel, B_URL: `http://127.0.0.1:${await port}`, OTEL_SERVICE_NAME: 'svc-a', ...aEnv } });
  return { a: await a, b: await b };
}

describe('attribution across a service hop (two real processes)', () => {
  let collector: TestCollector;
  let fake: FakeProvider;

  beforeEach(async () => {
    [collector, fake] = await Promise.all([startTestCollector(), startFakeProvider()]);
  });

  afterEach(async () => {
    await Promise.all([collector.close(), fake.close()]);
  });

  it("charges B's model calls to the team A set, over fetch and http.request, and keeps it from the provider", async () => {
    const { a, b } = await runServices(fake.url, collector.url);
    expect([a.code, b.code]).toEqual([0, 0]);
    for (const hop of a.lines) {
      expect(hop['receivedBaggage']).toContain('chargeback.team=search');
      expect(hop['receivedBaggage']).toContain('request.origin=web');
      expect(hop['attribution']).toEqual({ team: 'search', customer: 'acme', action: 'ask' });
    }
    expect(a.lines.map((hop) => hop['hop'])).toEqual(['fetch', 'http.request']);

    const spans = await collector.waitForSpans((all) => genAiSpans(all).length >= 2 && all.filter((s) => s.kind === SpanKind.CLIENT).length >= 4);
    const calls = genAiSpans(spans);
    expect(calls).toHaveLength(2);
    const clientSpans = spans.filter((span) => span.resource['service.name'] === 'svc-a' && span.kind === SpanKind.CLIENT);
    expect(clientSpans).toHaveLength(2);
    for (const call of calls) {
      expect(call.resource['service.name']).toBe('svc-b');
      expect(call.attributes).toMatchObject({ 'chargeback.team': 'search', 'chargeback.customer': 'acme', 'chargeback.action': 'ask' });
      // Same trace as the request A sent: B's GenAI span sits under B's server span, under A's client span.
      expect(clientSpans.map((span) => span.traceId)).toContain(call.traceId);
      const server = spans.find((span) => span.spanId === call.parentSpanId);
      expect(server?.kind).toBe(SpanKind.SERVER);
      expect(server?.attributes['chargeback.team']).toBe('search');
    }
    expect(fake.requests).toHaveLength(2);
    expect(withAttributionBaggage(fake.requests)).toEqual([]);
  });

  it('withholds the attribution entries from hosts outside the allowlist, and only those', async () => {
    const { a } = await runServices(fake.url, collector.url, { GENAI_CHARGEBACK_BAGGAGE_HOSTS: 'private,*.svc.cluster.local' });
    for (const hop of a.lines) {
      expect(hop['receivedBaggage']).toBe('request.origin=web');
      expect(hop['attribution']).toEqual({});
    }
    const spans = await collector.waitForSpans((all) => genAiSpans(all).length >= 2);
    for (const call of genAiSpans(spans)) expect(call.attributes).not.toHaveProperty('chargeback.team');
  });
});
