import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import {
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeTracesJson,
  encodeTracesProtobuf,
  type Attributes,
  type DecodedSpan,
} from '../processor/src/otlp/index.js';

/**
 * Decode-only micro-benchmark for OTLP trace requests (not a test). `npm run bench` calls benchmarkDecode();
 * `node --import tsx bench/decode.ts` prints it alone. The protobufjs row is the baseline the hand-written
 * reader was chosen over: reflection decoding plus the conversion to DecodedSpan (hex ids, bigint times).
 */

export interface DecodeBenchResult {
  decoder: string;
  spansPerRequest: number;
  requestBytes: number;
  spansPerSecond: number;
  megabytesPerSecond: number;
}

export function benchmarkDecode(options: { spansPerRequest?: number; durationMs?: number } = {}): DecodeBenchResult[] {
  const spansPerRequest = options.spansPerRequest ?? 500;
  const durationMs = options.durationMs ?? 1500;
  const spans = sampleSpans(spansPerRequest);
  const protobufBody = encodeTracesProtobuf(spans);
  const jsonBody = Buffer.from(encodeTracesJson(spans));
  const requestType = protobufjsRequestType();
  const cases: [string, Uint8Array, (body: Uint8Array) => number][] = [
    ['protobuf (hand-written reader)', protobufBody, (body) => decodeTracesProtobuf(body).spans.length],
    ['json (JSON.parse + walk)', jsonBody, (body) => decodeTracesJson(body).spans.length],
    ['protobuf (protobufjs reflection + conversion, baseline)', protobufBody, (body) => protobufjsDecode(requestType, body)],
    ['protobuf (protobufjs reflection, decode only)', protobufBody, (body) => protobufjsCount(requestType, body)],
  ];
  return cases.map(([decoder, body, decode]) => {
    if (decode(body) !== spansPerRequest) throw new Error(`${decoder}: decoded the wrong number of spans`);
    const spansPerSecond = measure(() => decode(body), durationMs) * spansPerRequest;
    return {
      decoder,
      spansPerRequest,
      requestBytes: body.length,
      spansPerSecond: Math.round(spansPerSecond),
      megabytesPerSecond: Math.round(((spansPerSecond / spansPerRequest) * body.length) / 1e6),
    };
  });
}

/**
 * Calls per second: the best of ~100 ms rounds after a warm-up, so other processes on a shared machine
 * (tests, other benchmarks) disturb the figure less than an average would.
 */
function measure(run: () => unknown, durationMs: number): number {
  const warmUntil = performance.now() + Math.min(500, durationMs / 3);
  while (performance.now() < warmUntil) run();
  let best = 0;
  const rounds = Math.max(1, Math.round(durationMs / 100));
  for (let round = 0; round < rounds; round++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 100) {
      run();
      calls++;
      now = performance.now();
    }
    best = Math.max(best, calls / ((now - start) / 1000));
  }
  return best;
}

/** GenAI call spans shaped like the instrumentation's: ~20 attributes, one resource per request. */
export function sampleSpans(count: number): DecodedSpan[] {
  const resource: Attributes = {
    'service.name': 'search-api',
    'service.version': '1.42.0',
    'deployment.environment.name': 'prod',
    'chargeback.team': 'search',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': '2.12.1',
    'host.name': 'search-api-7d9f8c6b5-x2x9q',
    'process.pid': 4242,
  };
  const start = 1_763_800_000_000_000_000n;
  return Array.from({ length: count }, (_, i) => ({
    resource,
    scopeName: '@genai-chargeback/instrumentation',
    scopeVersion: '0.1.0',
    traceId: (i * 7919 + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, 'a'),
    parentSpanId: (i + 100_000).toString(16).padStart(16, 'b'),
    name: 'chat gpt-4.1-mini',
    kind: 3,
    startTimeUnixNano: start + BigInt(i) * 1_000_000n,
    endTimeUnixNano: start + BigInt(i) * 1_000_000n + 734_512_345n,
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4.1-mini',
      'gen_ai.response.model': 'gpt-4.1-mini-2025-04-14',
      'gen_ai.response.id': `chatcmpl-${i.toString(36)}Xk2pQ9vLm3`,
      'gen_ai.usage.input_tokens': 1200 + i,
      'gen_ai.usage.output_tokens': 350,
      'gen_ai.usage.cache_read.input_tokens': 1024,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 1024,
      'server.address': 'api.openai.com',
      'server.port': 443,
      'chargeback.team': 'search',
      'chargeback.project': 'semantic-search',
      'chargeback.feature': 'query-rewrite',
      'chargeback.customer': `tenant-${i % 37}`,
      'user.id': `user-${i % 101}`,
      'http.response.status_code': 200,
    },
    statusCode: 0,
    statusMessage: '',
    links: [],
  }));
}

function protobufjsRequestType(): protobuf.Type {
  const kv = { key: { id: 1, type: 'string' }, value: { id: 2, type: 'AnyValue' } };
  return protobuf.Root.fromJSON({
    nested: {
      AnyValue: {
        oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
        fields: {
          stringValue: { id: 1, type: 'string' },
          boolValue: { id: 2, type: 'bool' },
          intValue: { id: 3, type: 'int64' },
          doubleValue: { id: 4, type: 'double' },
          arrayValue: { id: 5, type: 'ArrayValue' },
          kvlistValue: { id: 6, type: 'KeyValueList' },
          bytesValue: { id: 7, type: 'bytes' },
        },
      },
      ArrayValue: { fields: { values: { id: 1, rule: 'repeated', type: 'AnyValue' } } },
      KeyValueList: { fields: { values: { id: 1, rule: 'repeated', type: 'KeyValue' } } },
      KeyValue: { fields: kv },
      Resource: { fields: { attributes: { id: 1, rule: 'repeated', type: 'KeyValue' } } },
      Scope: { fields: { name: { id: 1, type: 'string' }, version: { id: 2, type: 'string' } } },
      Status: { fields: { message: { id: 2, type: 'string' }, code: { id: 3, type: 'int32' } } },
      Link: {
        fields: {
          traceId: { id: 1, type: 'bytes' },
          spanId: { id: 2, type: 'bytes' },
          attributes: { id: 4, rule: 'repeated', type: 'KeyValue' },
        },
      },
      Span: {
        fields: {
          traceId: { id: 1, type: 'bytes' },
          spanId: { id: 2, type: 'bytes' },
          parentSpanId: { id: 4, type: 'bytes' },
          name: { id: 5, type: 'string' },
          kind: { id: 6, type: 'int32' },
          startTimeUnixNano: { id: 7, type: 'fixed64' },
          endTimeUnixNano: { id: 8, type: 'fixed64' },
          attributes: { id: 9, rule: 'repeated', type: 'KeyValue' },
          links: { id: 13, rule: 'repeated', type: 'Link' },
          status: { id: 15, type: 'Status' },
        },
      },
      ScopeSpans: { fields: { scope: { id: 1, type: 'Scope' }, spans: { id: 2, rule: 'repeated', type: 'Span' } } },
      ResourceSpans: { fields: { resource: { id: 1, type: 'Resource' }, scopeSpans: { id: 2, rule: 'repeated', type: 'ScopeSpans' } } },
      Request: { fields: { resourceSpans: { id: 1, rule: 'repeated', type: 'ResourceSpans' } } },
    },
  }).lookupType('Request');
}

interface PbLong {
  low: number;
  high: number;
}
interface PbAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | PbLong;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] };
  kvlistValue?: { values: PbKeyValue[] };
  bytesValue?: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: PbLong;
  endTimeUnixNano: PbLong;
  attributes: PbKeyValue[];
  status?: { code: number; message: string };
}
interface PbRequest {
  resourceSpans: { resource?: { attributes: PbKeyValue[] }; scopeSpans: { scope?: { name: string; version: string }; spans: PbSpan[] }[] }[];
}

/** protobufjs decode plus the conversion every consumer needs; returns the span count. */
function protobufjsDecode(type: protobuf.Type, body: Uint8Array): number {
  const request = type.decode(body) as unknown as PbRequest;
  let count = 0;
  for (const resourceSpans of request.resourceSpans) {
    const resource = toAttributes(resourceSpans.resource?.attributes ?? []);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const decoded: DecodedSpan = {
          resource,
          scopeName: scopeSpans.scope?.name ?? '',
          scopeVersion: scopeSpans.scope?.version ?? '',
          traceId: Buffer.from(span.traceId).toString('hex'),
          spanId: Buffer.from(span.spanId).toString('hex'),
          parentSpanId: Buffer.from(span.parentSpanId).toString('hex'),
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: toBigInt(span.startTimeUnixNano),
          endTimeUnixNano: toBigInt(span.endTimeUnixNano),
          attributes: toAttributes(span.attributes),
          statusCode: span.status?.code ?? 0,
          statusMessage: span.status?.message ?? '',
          links: [],
        };
        if (decoded.traceId.length === 32) count++;
      }
    }
  }
  return count;
}

function protobufjsCount(type: protobuf.Type, body: Uint8Array): number {
  const request = type.decode(body) as unknown as PbRequest;
  return request.resourceSpans.reduce((sum, r) => sum + r.scopeSpans.reduce((n, s) => n + s.spans.length, 0), 0);
}

function toBigInt(value: PbLong): bigint {
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function toAttributes(list: PbKeyValue[]): Attributes {
  const attributes: Attributes = {};
  for (const { key, value } of list) {
    const v = value ?? {};
    if (v.stringValue !== undefined) attributes[key] = v.stringValue;
    else if (v.intValue !== undefined) attributes[key] = typeof v.intValue === 'number' ? v.intValue : Number(toBigInt(v.intValue));
    else if (v.doubleValue !== undefined) attributes[key] = v.doubleValue;
    else if (v.boolValue !== undefined) attributes[key] = v.boolValue;
    else if (v.arrayValue !== undefined) attributes[key] = v.arrayValue.values.map((item) => item.stringValue ?? null);
    else attributes[key] = null;
  }
  return attributes;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(benchmarkDecode());
}
