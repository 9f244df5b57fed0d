import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { protobufTracesToJson } from '../../processor/src/forward/wire/protobuf-to-json.js';
import { decodeTracesProtobuf, type Attributes, type DecodedSpan } from '../../processor/src/otlp/index.js';
import { startDownstream, type Downstream } from './downstream.js';
import { startForwardingProcessor, type ForwardingProcessor } from './harness.js';
import { PRICED_COST_USD, makeAnswerTrace } from './sdk-trace.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ downstream: Downstream; processor: ForwardingProcessor }> {
  const downstream = await startDownstream();
  const fast = { batch: { timeout: '20ms' } };
  const processor = await startForwardingProcessor([
    { name: 'tempo', endpoint: downstream.httpUrl, protocol: 'http/protobuf', compression: 'gzip', headers: 'x-scope-orgid=tenant%201,authorization=Bearer t', ...fast },
    { name: 'collector', endpoint: downstream.grpcEndpoint, protocol: 'grpc', compression: 'gzip', headers: { 'x-tenant': 'a' }, ...fast },
    { name: 'json', traces_endpoint: `${downstream.httpUrl}/otlp/v1/traces`, protocol: 'http/json', ...fast },
  ]);
  cleanups.push(() => downstream.close(), () => processor.close());
  return { downstream, processor };
}

/** The attributes forwarding must add, by span name (resource gave the team, a rule the project). */
const expectedAdded: Record<string, Attributes> = {
  'chat priced-chat': {
    'gen_ai.usage.cost.amount': PRICED_COST_USD,
    'gen_ai.usage.cost.currency': 'USD',
    'gen_ai.usage.cost.source': 'computed',
    'chargeback.price_id': 'test/priced-chat',
    'chargeback.team': 'search',
    'chargeback.project': 'assistant',
  },
  'chat mystery-model': {
    'gen_ai.usage.cost.source': 'unpriced',
    'chargeback.team': 'search',
    'chargeback.project': 'assistant',
  },
};

function spanBytes(span: DecodedSpan): Buffer {
  if (span.wire?.format !== 'protobuf') throw new Error('expected a protobuf span');
  const body = span.wire.scope.resource.body;
  return Buffer.from(body.buffer, body.byteOffset + span.wire.start, span.wire.end - span.wire.start);
}

function added(forwarded: DecodedSpan, original: DecodedSpan): Attributes {
  return Object.fromEntries(Object.entries(forwarded.attributes).filter(([key]) => !Object.hasOwn(original.attributes, key)));
}

/** Field numbers of a run of protobuf fields (only length-delimited ones are expected here). */
function fieldNumbers(bytes: Buffer): number[] {
  const numbers: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++]!;
    expect(tag & 7).toBe(2);
    let length = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[pos++]!;
      length |= (byte & 0x7f) << shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    numbers.push(tag >> 3);
    pos += length;
  }
  return numbers;
}

/** Proto3 JSON without its defaults, ints as strings: two encoders of the same data compare equal. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, key === 'intValue' ? String(item) : normalize(item)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === 0 || value === '' || value === null ? undefined : value;
}

interface TracesJson {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; attributes: Array<{ key: string; value: unknown }> }> }> }>;
}

/** The forwarded JSON with the added attributes (the last ones of each call span) taken off. */
function withoutAdded(body: TracesJson): TracesJson {
  for (const resourceSpans of body.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        span.attributes = span.attributes.slice(0, span.attributes.length - Object.keys(expectedAdded[span.name] ?? {}).length);
      }
    }
  }
  return body;
}

function sdkJson(spans: ReadableSpan[]): { resourceSpans: Array<{ resource: Record<string, unknown> }> } {
  const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))) as { resourceSpans: Array<{ resource: Record<string, unknown> }> };
  // The JS serializer also writes schemaUrl inside the Resource, which has no such field (ResourceSpans has it).
  for (const resourceSpans of json.resourceSpans) delete resourceSpans.resource['schemaUrl'];
  return json;
}

describe('forwarding: every span goes on unchanged, with the cost and attribution added', () => {
  it('OTLP/HTTP protobuf in → protobuf (HTTP gzip, gRPC) out: original bytes kept, exactly the added attributes after them', async () => {
    const { downstream, processor } = await setup();
    const sdkSpans = makeAnswerTrace();
    const request = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    expect((await processor.post(request)).status).toBe(200);
    await downstream.waitForSpans(3 * sdkSpans.length);

    const originals = decodeTracesProtobuf(request, { keepWire: true }).spans;
    for (const transport of ['http', 'grpc'] as const) {
      const requests = downstream.accepted.filter((r) => r.transport === transport && r.format === 'protobuf');
      expect(requests).toHaveLength(1);
      const forwarded = decodeTracesProtobuf(requests[0]!.body, { keepWire: true }).spans;
      expect(forwarded.map((s) => s.spanId).sort()).toStrictEqual(originals.map((s) => s.spanId).sort());
      for (const original of originals) {
        const span = forwarded.find((s) => s.spanId === original.spanId)!;
        const before = spanBytes(original);
        const after = spanBytes(span);
        // Ids, times, trace state, flags, events, links, status and every original attribute: byte for byte.
        expect(after.subarray(0, before.length).equals(before)).toBe(true);
        const wanted = expectedAdded[original.name] ?? {};
        expect(added(span, original)).toStrictEqual(wanted);
        // What follows the original bytes is only the added attributes (Span field 9), nothing else.
        expect(fieldNumbers(after.subarray(before.length))).toStrictEqual(Object.keys(wanted).map(() => 9));
        expect(span.attributes).toMatchObject(original.attributes);
        // Resource and scope messages and both schema URLs as they arrived.
        const [w, o] = [span.wire!, original.wire!];
        if (w.format !== 'protobuf' || o.format !== 'protobuf') throw new Error('protobuf wire expected');
        expect(Buffer.from(w.scope.resource.resource!).equals(Buffer.from(o.scope.resource.resource!))).toBe(true);
        expect(Buffer.from(w.scope.scope!).equals(Buffer.from(o.scope.scope!))).toBe(true);
        expect([w.scope.schemaUrl, w.scope.resource.schemaUrl]).toStrictEqual(['https://opentelemetry.io/schemas/1.28.0', 'https://opentelemetry.io/schemas/1.30.0']);
      }
      const priced = forwarded.find((s) => s.name === 'chat priced-chat')!;
      expect(typeof priced.attributes['gen_ai.usage.cost.amount']).toBe('number');
    }
    const [http] = downstream.accepted.filter((r) => r.transport === 'http' && r.format === 'protobuf');
    expect(http!).toMatchObject({ path: '/v1/traces', encoding: 'gzip' });
    expect(http!.headers).toMatchObject({ 'x-scope-orgid': 'tenant 1', authorization: 'Bearer t', 'content-type': 'application/x-protobuf' });
    expect(downstream.accepted.find((r) => r.transport === 'grpc')!.headers).toMatchObject({ 'x-tenant': 'a' });

    // The ledger is what it would be without forwarding: both calls, the priced one at its exact cost.
    expect(await processor.ledger.query('SELECT request_model, cost_usd::VARCHAR AS cost FROM llm_calls ORDER BY request_model')).toStrictEqual([
      { request_model: 'mystery-model', cost: null },
      { request_model: 'priced-chat', cost: '0.004800000' },
    ]);
    expect(processor.forwarding.metrics.snapshot().map((m) => [m.exporter, m.otelcol_exporter_sent_spans, m.otelcol_exporter_send_failed_spans])).toStrictEqual([
      ['tempo', 4, 0],
      ['collector', 4, 0],
      ['json', 4, 0],
    ]);
  });

  it('OTLP/HTTP protobuf in → OTLP/JSON out: the same trace as the SDK writes it in JSON, plus the added attributes', async () => {
    const { downstream, processor } = await setup();
    const sdkSpans = makeAnswerTrace();
    expect((await processor.post(ProtobufTraceSerializer.serializeRequest(sdkSpans)!)).status).toBe(200);
    await downstream.waitForSpans(3 * sdkSpans.length);
    const json = downstream.accepted.find((r) => r.format === 'json')!;
    expect(json.path).toBe('/otlp/v1/traces');
    const body = JSON.parse(json.body.toString('utf8')) as TracesJson;
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    const priced = spans.find((s) => s.name === 'chat priced-chat')!;
    expect(priced.attributes.slice(-6)).toStrictEqual([
      { key: 'gen_ai.usage.cost.amount', value: { doubleValue: PRICED_COST_USD } },
      { key: 'gen_ai.usage.cost.currency', value: { stringValue: 'USD' } },
      { key: 'gen_ai.usage.cost.source', value: { stringValue: 'computed' } },
      { key: 'chargeback.price_id', value: { stringValue: 'test/priced-chat' } },
      { key: 'chargeback.team', value: { stringValue: 'search' } },
      { key: 'chargeback.project', value: { stringValue: 'assistant' } },
    ]);
    expect(normalize(withoutAdded(body))).toStrictEqual(normalize(sdkJson(sdkSpans)));
  });

  it('OTLP/HTTP JSON in → protobuf and JSON out: every field carried over, int and double kept apart', async () => {
    const { downstream, processor } = await setup();
    const sdkSpans = makeAnswerTrace();
    const status = await processor.post(JsonTraceSerializer.serializeRequest(sdkSpans)!, 'application/json');
    expect(status.status).toBe(200);
    await downstream.waitForSpans(3 * sdkSpans.length);
    const expected = normalize(sdkJson(sdkSpans));
    // Protobuf out, read back as OTLP/JSON (that reading is checked against the SDK's JSON in the test above).
    const protobuf = downstream.accepted.find((r) => r.transport === 'http' && r.format === 'protobuf')!.body;
    const forwarded = decodeTracesProtobuf(protobuf).spans;
    const reference = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans)!).spans;
    for (const original of reference) {
      const span = forwarded.find((s) => s.spanId === original.spanId)!;
      expect(added(span, original)).toStrictEqual(expectedAdded[original.name] ?? {});
    }
    expect(normalize(withoutAdded(JSON.parse(protobufTracesToJson(protobuf)) as TracesJson))).toStrictEqual(expected);
    // JSON out, the added attributes taken off: the SDK's JSON for the trace.
    const body = JSON.parse(downstream.accepted.find((r) => r.format === 'json')!.body.toString('utf8')) as TracesJson;
    expect(normalize(withoutAdded(body))).toStrictEqual(expected);
  });
});
