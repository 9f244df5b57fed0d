/**
 * A tiny protobuf byte builder for hand-made OTLP payloads, independent of the code under test, so tests can
 * write exactly the bytes they mean (wrong wire types, truncation, fields out of order, unknown fields).
 */
export type Bytes = number[];

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

export function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function tag(field: number, wireType: number): Bytes {
  return varint((field << 3) | wireType);
}

export function len(field: number, ...parts: (Bytes | Uint8Array)[]): Bytes {
  const payload = parts.flatMap((part) => [...part]);
  return [...tag(field, LEN), ...varint(payload.length), ...payload];
}

export function str(field: number, value: string): Bytes {
  return len(field, [...Buffer.from(value, 'utf8')]);
}

export function hexBytes(field: number, hex: string): Bytes {
  return len(field, [...Buffer.from(hex, 'hex')]);
}

export function uint(field: number, value: number | bigint): Bytes {
  return [...tag(field, VARINT), ...varint(value)];
}

export function fixed64(field: number, value: bigint): Bytes {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(value);
  return [...tag(field, I64), ...buf];
}

export function double(field: number, value: number): Bytes {
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(value);
  return [...tag(field, I64), ...buf];
}

export function bytes(...parts: Bytes[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

// OTLP shapes (field numbers from opentelemetry-proto).

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID = 'eee19b7ec3c1b174';
export const PARENT_ID = 'eee19b7ec3c1b173';
export const T0 = 1_763_800_000_123_456_789n;

/** KeyValue with an AnyValue payload (e.g. `str(1, 'x')` for a stringValue). */
export function kv(key: string, ...anyValue: Bytes[]): Bytes {
  return [...str(1, key), ...len(2, ...anyValue)];
}

export interface SpanFields {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  start?: bigint;
  end?: bigint;
  attributes?: Bytes[];
  extra?: Bytes[];
}

export function span(fields: SpanFields = {}): Bytes {
  const traceId = fields.traceId ?? TRACE_ID;
  const spanId = fields.spanId ?? SPAN_ID;
  return [
    ...hexBytes(1, traceId),
    ...hexBytes(2, spanId),
    ...(fields.parentSpanId === undefined ? [] : hexBytes(4, fields.parentSpanId)),
    ...str(5, fields.name ?? 'chat gpt-4.1'),
    ...uint(6, 3),
    ...fixed64(7, fields.start ?? T0),
    ...fixed64(8, fields.end ?? T0 + 1_000_000n),
    ...(fields.attributes ?? []).flatMap((attribute) => len(9, attribute)),
    ...(fields.extra ?? []).flat(),
  ];
}

/** ExportTraceServiceRequest with one ResourceSpans holding one ScopeSpans of the given spans. */
export function request(spans: Bytes[], resourceAttributes: Bytes[] = [kv('service.name', str(1, 'checkout'))]): Uint8Array {
  const resource = resourceAttributes.flatMap((attribute) => len(1, attribute));
  const scopeSpans = [...len(1, str(1, 'scope-a'), str(2, '1.0.0')), ...spans.flatMap((s) => len(2, s))];
  return bytes(len(1, len(1, resource), len(2, scopeSpans)));
}
