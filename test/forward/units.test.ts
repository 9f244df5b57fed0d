import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../processor/src/config/load-config.js';
import { ChunkQueue, toChunks, type Chunk } from '../../processor/src/forward/chunk-queue.js';
import { actionAttributes, callAttributes, planAttributes } from '../../processor/src/forward/enrich.js';
import { prepareSpans, type PreparedSpan } from '../../processor/src/forward/prepare.js';
import { backoffMs, grpcOutcome, httpOutcome, nextDelayMs, parseRetryAfter, retryInfoDelayMs, type RetryPolicy } from '../../processor/src/forward/retry.js';
import { grpcTarget, signalUrl } from '../../processor/src/forward/settings.js';
import { TraceHold } from '../../processor/src/forward/trace-hold.js';
import { encodeRequest } from '../../processor/src/forward/wire/request.js';
import { spliceSpan } from '../../processor/src/forward/wire/splice-span.js';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import { decodeTracesJson, decodeTracesProtobuf, encodeStatusProtobuf, encodeTracesProtobuf, retryInfoDetail } from '../../processor/src/otlp/index.js';
import { llmCallRow } from '../support/llm-call-row.js';
import { makeSpan } from '../support/spans.js';

const TRACE = '5b8efff798038103d269b633813fc60c';

function call(overrides: Partial<LlmCall> = {}): LlmCall {
  return llmCallRow(new Date(0), {
    trace_id: TRACE,
    span_id: '00000000000000c1',
    end_time: new Date(0),
    duration_ms: 0,
    service_name: 'answer-api',
    feature: 'answers',
    customer: 'acme',
    user_id: 'u-1',
    response_model: null,
    response_id: null,
    cache_read_tokens: null,
    attempts: null,
    received_at: new Date(0),
    attributes: '{}',
    ...overrides,
  });
}

describe('enrichment (pure)', () => {
  it('adds cost, price and the resolved chargeback attribution; an unpriced call says so without an amount', () => {
    expect(callAttributes(call(), false)).toStrictEqual([
      { key: 'gen_ai.usage.cost.amount', type: 'double', value: 0.0028 },
      { key: 'gen_ai.usage.cost.currency', type: 'string', value: 'USD' },
      { key: 'gen_ai.usage.cost.source', type: 'string', value: 'computed' },
      { key: 'chargeback.price_id', type: 'string', value: 'openai/gpt-4.1@2025-04-14' },
      { key: 'chargeback.team', type: 'string', value: 'search' },
      { key: 'chargeback.feature', type: 'string', value: 'answers' },
      { key: 'chargeback.customer', type: 'string', value: 'acme' },
    ]);
    expect(callAttributes(call({ cost_nanos: null, cost_source: 'unpriced', price_id: null, feature: null, customer: null }), false)).toStrictEqual([
      { key: 'gen_ai.usage.cost.source', type: 'string', value: 'unpriced' },
      { key: 'chargeback.team', type: 'string', value: 'search' },
    ]);
    // The inner span of a call reported twice: attribution only, so a viewer summing costs counts it once.
    expect(callAttributes(call({ feature: null, customer: null }), true)).toStrictEqual([{ key: 'chargeback.team', type: 'string', value: 'search' }]);
    expect(actionAttributes({ costUsd: '0.021680000', calls: 3 })).toStrictEqual([
      { key: 'chargeback.action.cost_usd', type: 'double', value: 0.02168 },
      { key: 'chargeback.action.calls', type: 'int', value: 3 },
    ]);
  });

  it('keeps what the span already says, and replaces a differing value in place of duplicating the key', () => {
    const wanted = callAttributes(call(), false);
    const plan = planAttributes({ 'chargeback.team': 'search', 'chargeback.customer': 'other', 'chargeback.feature': 42 }, [
      ...wanted,
      { key: 'chargeback.feature', type: 'string', value: '42' },
    ]);
    expect(plan.add.map((a) => a.key)).toStrictEqual([
      'gen_ai.usage.cost.amount',
      'gen_ai.usage.cost.currency',
      'gen_ai.usage.cost.source',
      'chargeback.price_id',
      'chargeback.feature',
      'chargeback.customer',
    ]);
    expect([...plan.replace]).toStrictEqual(['chargeback.feature', 'chargeback.customer']);

    // Spliced: the replaced keys are cut out of the original bytes, every other attribute stays.
    const span = makeSpan({ traceId: TRACE, spanId: '00000000000000c1', attributes: { 'chargeback.customer': 'other', keep: 1.5, 'chargeback.feature': 'old' } });
    const request = encodeTracesProtobuf([span]);
    const original = decodeTracesProtobuf(request, { keepWire: true }).spans[0]!;
    const wire = original.wire!;
    if (wire.format !== 'protobuf') throw new Error('protobuf expected');
    const spliced = spliceSpan(wire.scope.resource.body.subarray(wire.start, wire.end), {
      add: [{ key: 'chargeback.customer', type: 'string', value: 'acme' }],
      replace: new Set(['chargeback.customer']),
    });
    const decoded = decodeTracesProtobuf(encodeRequest([{ header: wire.scope, bytes: spliced }])).spans[0]!;
    expect(decoded.attributes).toStrictEqual({ keep: 1.5, 'chargeback.feature': 'old', 'chargeback.customer': 'acme' });
  });

  it('re-encodes from the decoded fields a span with no wire form, or whose JSON the transcoder refuses', () => {
    const calls = [call({ feature: null, customer: null })];
    const built = makeSpan({ traceId: TRACE, spanId: '00000000000000c1', attributes: { 'gen_ai.request.model': 'gpt-4.1' } });
    const json = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00000000000000c2', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2', events: 'not-a-list' }] }] }],
    });
    const fromJson = decodeTracesJson(json, { keepWire: true }).spans;
    const prepared = prepareSpans([built, ...fromJson], calls);
    expect(prepared.fromFields).toBe(2);
    const forwarded = decodeTracesProtobuf(encodeRequest(prepared.spans)).spans;
    expect(forwarded.map((s) => [s.spanId, s.attributes['gen_ai.usage.cost.amount'], s.attributes['chargeback.team']])).toStrictEqual([
      ['00000000000000c1', 0.0028, 'search'],
      ['00000000000000c2', undefined, undefined],
    ]);
  });
});

const policy: RetryPolicy = { enabled: true, initialIntervalMs: 1_000, maxIntervalMs: 5_000, maxElapsedMs: 20_000, multiplier: 2, randomizationFactor: 0 };

describe('retry policy', () => {
  it('retries only 429/502/503/504 and the retryable gRPC codes, honouring Retry-After in seconds or as a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect([200, 204, 400, 401, 413, 429, 500, 502, 503, 504].map((status) => httpOutcome(status, undefined, now).kind)).toStrictEqual([
      'sent', 'sent', 'failed', 'failed', 'failed', 'retryable', 'failed', 'retryable', 'retryable', 'retryable',
    ]);
    expect(httpOutcome(503, '7', now)).toStrictEqual({ kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 7_000 });
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect([1, 3, 4, 7, 10, 11, 13, 14, 15].map((code) => grpcOutcome(code, '', null).kind)).toStrictEqual([
      'retryable', 'failed', 'retryable', 'failed', 'retryable', 'retryable', 'failed', 'retryable', 'retryable',
    ]);
    expect(grpcOutcome(8, 'busy', null).kind).toBe('failed');
    const status = encodeStatusProtobuf({ code: 8, message: 'busy', details: [retryInfoDetail(2.5)] });
    expect(retryInfoDelayMs(status)).toBe(2_500);
    expect(grpcOutcome(8, 'busy', 2_500)).toStrictEqual({ kind: 'retryable', reason: 'gRPC code 8: busy', retryAfterMs: 2_500 });
  });

  it('backs off exponentially up to the cap and gives up past max_elapsed_time', () => {
    expect([0, 1, 2, 3, 4].map((retry) => backoffMs(policy, retry))).toStrictEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(backoffMs({ ...policy, randomizationFactor: 0.5 }, 0, () => 0)).toBe(500);
    expect(backoffMs({ ...policy, randomizationFactor: 0.5 }, 0, () => 1)).toBe(1_500);
    const retryable = { kind: 'retryable', reason: 'HTTP 503', retryAfterMs: null } as const;
    expect(nextDelayMs(policy, retryable, 1, 10_000)).toBe(2_000);
    expect(nextDelayMs(policy, { ...retryable, retryAfterMs: 9_000 }, 1, 10_000)).toBe(9_000);
    expect(nextDelayMs(policy, { ...retryable, retryAfterMs: 11_000 }, 1, 10_000)).toBeNull();
    expect(nextDelayMs({ ...policy, enabled: false }, retryable, 0, 0)).toBeNull();
    expect(nextDelayMs(policy, { kind: 'failed', reason: 'HTTP 400' }, 0, 0)).toBeNull();
  });
});

function prepared(traceId: string, bytes: number, isRoot = false): PreparedSpan {
  const resource = { resource: null, schemaUrl: '' };
  return { traceId, isRoot, header: { resource, scope: null, schemaUrl: '' }, bytes: new Uint8Array(bytes) };
}

describe('bounded queue and hold', () => {
  const chunk = (items: number, bytes: number, at = 0, mergeable = true): Chunk => ({ items, bytes: new Uint8Array(bytes), format: 'protobuf', mergeable, enqueuedAtMs: at });

  it('drops the oldest chunks past either limit and takes batches within the batch limits', () => {
    const queue = new ChunkQueue({ maxItems: 10, maxBytes: 1_000 });
    expect(queue.push(chunk(4, 100, 1))).toStrictEqual([]);
    expect(queue.push(chunk(4, 100, 2))).toStrictEqual([]);
    expect(queue.push(chunk(4, 100, 3)).map((c) => c.enqueuedAtMs)).toStrictEqual([1]);
    expect(queue.push(chunk(1, 900, 4)).map((c) => c.enqueuedAtMs)).toStrictEqual([2]);
    expect([queue.items, queue.bytes, queue.oldestEnqueuedAtMs]).toStrictEqual([5, 1_000, 3]);
    expect(queue.take({ maxItems: 4, maxBytes: 10_000 }).map((c) => c.enqueuedAtMs)).toStrictEqual([3]);
    expect(queue.take({ maxItems: 4, maxBytes: 10 }).map((c) => c.enqueuedAtMs)).toStrictEqual([4]); // one even if too big
    expect(queue.push(chunk(11, 10))).toHaveLength(1); // alone over the limit: dropped itself
    expect([queue.items, queue.length]).toStrictEqual([0, 0]);
    // A passed-through request (not mergeable) is only ever taken alone, even with no items.
    for (const [at, mergeable] of [[5, true], [6, false], [7, false], [8, true], [9, true]] as const) queue.push(chunk(0, 10, at, mergeable));
    const batches = [1, 2, 3, 4].map(() => queue.take({ maxItems: 10, maxBytes: 10_000 }).map((c) => c.enqueuedAtMs));
    expect(batches).toStrictEqual([[5], [6], [7], [8, 9]]);
  });

  it('encodes spans into chunks of at most one batch each', () => {
    const spans = Array.from({ length: 5 }, (_, i) => prepared(TRACE, 100 + i));
    expect(toChunks(spans, { maxItems: 2, maxBytes: 1 << 20 }, 0).map((c) => c.items)).toStrictEqual([2, 2, 1]);
    expect(toChunks(spans, { maxItems: 100, maxBytes: 250 }, 0).map((c) => c.items)).toStrictEqual([2, 2, 1]);
  });

  it('holds traces within its limits, evicting the oldest trace whole, and lets go of traces held past max_wait', () => {
    const hold = new TraceHold({ maxSpans: 4, maxBytes: 1 << 20, maxWaitMs: 1_000 });
    expect(hold.add([prepared('a', 10), prepared('a', 10), prepared('b', 10)], 0)).toStrictEqual([]);
    const evicted = hold.add([prepared('c', 10), prepared('c', 10)], 500);
    expect(evicted.map((trace) => trace.map((s) => s.traceId))).toStrictEqual([['a', 'a']]);
    expect([hold.holds('a'), hold.spans]).toStrictEqual([false, 3]);
    expect(hold.takeExpired(999)).toStrictEqual([]);
    expect(hold.takeExpired(1_000).map((trace) => trace[0]!.traceId)).toStrictEqual(['b']);
    expect(hold.take(['c', 'zz']).map((t) => [t.traceId, t.spans.length])).toStrictEqual([['c', 2]]);
    expect([hold.spans, hold.bytes]).toStrictEqual([0, 0]);
  });
});

describe('forward config', () => {
  it('defaults, OTEL-style header lists, endpoint resolution', () => {
    const [exporter] = parseConfig({ forward: [{ endpoint: 'http://tempo:4318/', headers: 'a=1, b=two%20words' }] }, 'test').forward;
    expect(exporter).toMatchObject({
      protocol: 'http/protobuf',
      mode: 'immediate',
      compression: 'none',
      timeout: 10_000,
      headers: { a: '1', b: 'two words' },
      queue: { max_spans: 100_000, max_mib: 64, consumers: 2 },
      batch: { max_spans: 8_192, max_mib: 3, timeout: 200 },
      retry: { enabled: true, initial_interval: 1_000, max_interval: 30_000, max_elapsed_time: 300_000 },
    });
    expect(signalUrl(exporter!, 'traces')?.href).toBe('http://tempo:4318/v1/traces');
    expect(signalUrl(exporter!, 'logs')?.href).toBe('http://tempo:4318/v1/logs');
    expect(signalUrl(exporter!, 'metrics')?.href).toBe('http://tempo:4318/v1/metrics');
    const own = { traces_endpoint: 'https://otlp.example.com/api/traces', metrics_endpoint: 'http://prom:9090/api/v1/otlp/v1/metrics' };
    expect(signalUrl(own, 'traces')?.href).toBe('https://otlp.example.com/api/traces');
    expect(signalUrl(own, 'metrics')?.href).toBe('http://prom:9090/api/v1/otlp/v1/metrics');
    expect(signalUrl(own, 'logs')).toBeNull(); // this exporter takes no logs
    expect(signalUrl({ endpoint: 'http://c:4318', logs_endpoint: 'http://loki:3100/otlp/v1/logs' }, 'logs')?.href).toBe('http://loki:3100/otlp/v1/logs');
    expect(grpcTarget('https://collector:4317')).toStrictEqual({ target: 'collector:4317', secure: true });
    expect(grpcTarget('http://collector')).toStrictEqual({ target: 'collector:4317', secure: false });
  });

  it('names the field and the fix when an exporter is misconfigured', () => {
    const fails = (forward: unknown) => () => parseConfig({ forward: [forward] }, 'c.yaml');
    expect(fails({ protocol: 'grpc' })).toThrow(/forward\.0\.endpoint: set exactly one of endpoint/);
    expect(fails({ endpoint: 'tempo:4318' })).toThrow(/forward\.0\.endpoint: "tempo:4318" is not an http:\/\/ or https:\/\/ URL/);
    expect(fails({ endpoint: 'http://x', protocol: 'http/thrift' })).toThrow(/forward\.0\.protocol: http\/protobuf, http\/json or grpc/);
    expect(fails({ traces_endpoint: 'http://x/v1/traces', protocol: 'grpc' })).toThrow(/forward\.0\.traces_endpoint: gRPC has no URL path/);
    expect(fails({ endpoint: 'http://x', headers: 'novalue' })).toThrow(/forward\.0\.headers: "novalue" is not name=value/);
    expect(fails({ endpoint: 'http://x', protocol: 'grpc', logs_endpoint: 'http://x/v1/logs' })).toThrow(/forward\.0\.logs_endpoint: gRPC has no URL path/);
    expect(fails({ endpoint: 'http://x', metrics_endpoint: 'prom:9090' })).toThrow(/forward\.0\.metrics_endpoint: "prom:9090" is not an http:\/\/ or https:\/\/ URL/);
  });
});
