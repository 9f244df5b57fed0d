import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import type { Attributes, DecodedSpan } from '../../processor/src/otlp/types.js';

/**
 * Spans made by the real OpenTelemetry JS SDK, with attributes of every type it can send, a link, an error
 * status, a parent and exact nanosecond timestamps, plus what the processor must decode from them.
 */

export const START = [1_763_800_000, 123_456_789] as const;
export const END = [1_763_800_001, 987_654_321] as const;
export const START_NANOS = 1_763_800_000_123_456_789n;
export const END_NANOS = 1_763_800_001_987_654_321n;

export const CALL_ATTRIBUTES = {
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4.1-mini',
  'gen_ai.usage.input_tokens': 1250,
  'gen_ai.usage.output_tokens': 312,
  'gen_ai.request.temperature': 0.25,
  'negative.int': -42,
  'big.int': 2 ** 60,
  'stream': false,
  'empty.string': '',
  'unicode': 'héllo ✓ 日本',
  'gen_ai.response.finish_reasons': ['stop', 'length'],
  'int.array': [1, 2, 3],
  'double.array': [1.5, -2.25],
  'bool.array': [true, false],
};

/** What the decoders must produce for CALL_ATTRIBUTES: ints beyond 2^53 as bigint, the rest as is. */
export const EXPECTED_CALL_ATTRIBUTES: Attributes = { ...CALL_ATTRIBUTES, 'big.int': 2n ** 60n };

/**
 * The OTLP/JSON exporter writes 2^60 with JSON.stringify, which prints the shortest text that reads back as the
 * same double: 1152921504606847000. The request therefore carries that integer, and a decoder must keep it.
 */
export const BIG_INT_AS_SENT_IN_JSON = 1_152_921_504_606_847_000n;

export function makeSdkSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'search-api', 'chargeback.team': 'search', 'process.pid': 4242 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@genai-chargeback/test', '1.2.3');
  const root = tracer.startSpan('POST /search', { kind: SpanKind.SERVER, startTime: [...START] });
  const other = tracer.startSpan('earlier attempt', { startTime: [...START] });
  other.end([...START]);
  const call = tracer.startSpan(
    'chat gpt-4.1-mini',
    {
      kind: SpanKind.CLIENT,
      startTime: [...START],
      attributes: CALL_ATTRIBUTES,
      links: [{ context: other.spanContext(), attributes: { 'link.reason': 'retry-of', 'attempt': 2 } }],
    },
    trace.setSpan(context.active(), root),
  );
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  call.end([...END]);
  root.end([...END]);
  return exporter.getFinishedSpans();
}

/** The decoded span for each SDK span, field by field, in the SDK's order. */
export function expectDecodedSdkSpans(
  decoded: readonly DecodedSpan[],
  sdkSpans: readonly ReadableSpan[],
  format: 'protobuf' | 'json',
): void {
  expect(decoded).toHaveLength(sdkSpans.length);
  const [other, call, root] = sdkSpans;
  expect(other?.name).toBe('earlier attempt');
  expect(call?.name).toBe('chat gpt-4.1-mini');
  expect(root?.name).toBe('POST /search');
  const resource = { ...sdkSpans[0]!.resource.attributes };
  expect(resource['service.name']).toBe('search-api');
  for (const [index, sdkSpan] of sdkSpans.entries()) {
    const span = decoded[index]!;
    expect(span.traceId).toBe(sdkSpan.spanContext().traceId);
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toBe(sdkSpan.spanContext().spanId);
    expect(span.parentSpanId).toBe(sdkSpan.parentSpanContext?.spanId ?? '');
    expect(span.name).toBe(sdkSpan.name);
    expect(span.kind).toBe(sdkSpan.kind + 1);
    expect(span.scopeName).toBe('@genai-chargeback/test');
    expect(span.scopeVersion).toBe('1.2.3');
    expect(span.resource).toStrictEqual(resource);
    expect(typeof span.resource['process.pid']).toBe('number');
  }
  const [decodedOther, decodedCall, decodedRoot] = decoded;
  expect(decodedCall!.startTimeUnixNano).toBe(START_NANOS);
  expect(decodedCall!.endTimeUnixNano).toBe(END_NANOS);
  expect(decodedOther!.endTimeUnixNano).toBe(START_NANOS);
  expect(decodedCall!.parentSpanId).toBe(root!.spanContext().spanId);
  expect(decodedRoot!.parentSpanId).toBe('');
  expect(decodedCall!.attributes).toStrictEqual({
    ...EXPECTED_CALL_ATTRIBUTES,
    'big.int': format === 'json' ? BIG_INT_AS_SENT_IN_JSON : 2n ** 60n,
  });
  expect(typeof decodedCall!.attributes['big.int']).toBe('bigint');
  expect(decodedCall!.statusCode).toBe(2);
  expect(decodedCall!.statusMessage).toBe('rate limited');
  expect(decodedCall!.links).toStrictEqual([
    {
      traceId: other!.spanContext().traceId,
      spanId: other!.spanContext().spanId,
      attributes: { 'link.reason': 'retry-of', 'attempt': 2 },
    },
  ]);
  expect(decodedRoot!.statusCode).toBe(0);
  expect(decodedRoot!.statusMessage).toBe('');
  expect(decodedRoot!.attributes).toStrictEqual({});
  expect(decodedRoot!.links).toStrictEqual([]);
}
