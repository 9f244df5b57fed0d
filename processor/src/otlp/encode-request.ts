import { ProtoWriter } from './proto-writer.js';
import {
  AnyValue,
  ExportTraceServiceRequest,
  InstrumentationScope,
  KeyValue,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanLink,
  Status,
  ValueList,
} from './schema.js';
import type { AttributeValue, Attributes, DecodedSpan } from './types.js';

/**
 * Encoders for ExportTraceServiceRequest from DecodedSpans (forwarding to another OTLP backend).
 *
 * Spans are grouped back into ResourceSpans by resource object identity (the decoders share one object per
 * ResourceSpans) and into ScopeSpans by scope name and version. DecodedSpan keeps no int/double distinction for
 * numbers, so integral numbers are sent as intValue and others as doubleValue, like the OpenTelemetry JS SDK.
 */

interface ScopeGroup {
  name: string;
  version: string;
  spans: DecodedSpan[];
}

function groupSpans(spans: readonly DecodedSpan[]): Map<Attributes, Map<string, ScopeGroup>> {
  const groups = new Map<Attributes, Map<string, ScopeGroup>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      groups.set(span.resource, scopes);
    }
    const scopeKey = `${span.scopeName}\u0000${span.scopeVersion}`;
    let group = scopes.get(scopeKey);
    if (group === undefined) {
      group = { name: span.scopeName, version: span.scopeVersion, spans: [] };
      scopes.set(scopeKey, group);
    }
    group.spans.push(span);
  }
  return groups;
}

export function encodeTracesProtobuf(spans: readonly DecodedSpan[]): Uint8Array<ArrayBuffer> {
  const writer = new ProtoWriter(Math.max(1024, spans.length * 256));
  for (const [resource, scopes] of groupSpans(spans)) {
    writer.tag(ExportTraceServiceRequest.tag.resourceSpans);
    const resourceSpans = writer.begin();
    writer.tag(ResourceSpans.tag.resource);
    const resourceStart = writer.begin();
    writeAttributes(writer, Resource.tag.attributes, resource);
    writer.end(resourceStart);
    for (const scope of scopes.values()) {
      writer.tag(ResourceSpans.tag.scopeSpans);
      const scopeSpans = writer.begin();
      writer.tag(ScopeSpans.tag.scope);
      const scopeStart = writer.begin();
      if (scope.name !== '') writer.tag(InstrumentationScope.tag.name).string(scope.name);
      if (scope.version !== '') writer.tag(InstrumentationScope.tag.version).string(scope.version);
      writer.end(scopeStart);
      for (const span of scope.spans) {
        writer.tag(ScopeSpans.tag.spans);
        writeSpan(writer, span);
      }
      writer.end(scopeSpans);
    }
    writer.end(resourceSpans);
  }
  return writer.finish();
}

function writeSpan(writer: ProtoWriter, span: DecodedSpan): void {
  const start = writer.begin();
  writer.tag(Span.tag.traceId).hex(span.traceId);
  writer.tag(Span.tag.spanId).hex(span.spanId);
  if (span.parentSpanId !== '') writer.tag(Span.tag.parentSpanId).hex(span.parentSpanId);
  writer.tag(Span.tag.name).string(span.name);
  if (span.kind !== 0) writer.tag(Span.tag.kind).varint32(span.kind);
  writer.tag(Span.tag.startTimeUnixNano).fixed64(span.startTimeUnixNano);
  writer.tag(Span.tag.endTimeUnixNano).fixed64(span.endTimeUnixNano);
  writeAttributes(writer, Span.tag.attributes, span.attributes);
  for (const link of span.links) {
    writer.tag(Span.tag.links);
    const linkStart = writer.begin();
    writer.tag(SpanLink.tag.traceId).hex(link.traceId);
    writer.tag(SpanLink.tag.spanId).hex(link.spanId);
    writeAttributes(writer, SpanLink.tag.attributes, link.attributes);
    writer.end(linkStart);
  }
  if (span.statusCode !== 0 || span.statusMessage !== '') {
    writer.tag(Span.tag.status);
    const statusStart = writer.begin();
    if (span.statusMessage !== '') writer.tag(Status.tag.message).string(span.statusMessage);
    if (span.statusCode !== 0) writer.tag(Status.tag.code).varint32(span.statusCode);
    writer.end(statusStart);
  }
  writer.end(start);
}

function writeAttributes(writer: ProtoWriter, tag: number, attributes: Attributes): void {
  for (const key of Object.keys(attributes)) {
    writer.tag(tag);
    const start = writer.begin();
    writer.tag(KeyValue.tag.key).string(key);
    writer.tag(KeyValue.tag.value);
    writeAnyValue(writer, attributes[key]!);
    writer.end(start);
  }
}

function writeAnyValue(writer: ProtoWriter, value: AttributeValue): void {
  const start = writer.begin();
  if (typeof value === 'string') {
    writer.tag(AnyValue.tag.stringValue).string(value);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) writer.tag(AnyValue.tag.intValue).int64(value);
    else writer.tag(AnyValue.tag.doubleValue).double(value);
  } else if (typeof value === 'bigint') {
    writer.tag(AnyValue.tag.intValue).int64(checkInt64(value));
  } else if (typeof value === 'boolean') {
    writer.tag(AnyValue.tag.boolValue).varint32(value ? 1 : 0);
  } else if (value instanceof Uint8Array) {
    writer.tag(AnyValue.tag.bytesValue).bytes(value);
  } else if (Array.isArray(value)) {
    writer.tag(AnyValue.tag.arrayValue);
    const arrayStart = writer.begin();
    for (const item of value) {
      writer.tag(ValueList.tag.values);
      writeAnyValue(writer, item);
    }
    writer.end(arrayStart);
  } else if (value !== null) {
    writer.tag(AnyValue.tag.kvlistValue);
    const listStart = writer.begin();
    writeAttributes(writer, ValueList.tag.values, value);
    writer.end(listStart);
  }
  writer.end(start);
}

function checkInt64(value: bigint): bigint {
  if (BigInt.asIntN(64, value) !== value) throw new RangeError(`attribute value ${value} does not fit a signed 64-bit integer`);
  return value;
}

/** OTLP/JSON: hex ids, 64-bit integers as decimal strings, integer enums, base64 bytes. */
export function encodeTracesJson(spans: readonly DecodedSpan[]): string {
  const resourceSpans = [];
  for (const [resource, scopes] of groupSpans(spans)) {
    const scopeSpans = [];
    for (const scope of scopes.values()) {
      scopeSpans.push({ scope: { name: scope.name, version: scope.version }, spans: scope.spans.map(spanToJson) });
    }
    resourceSpans.push({ resource: { attributes: attributesToJson(resource) }, scopeSpans });
  }
  return JSON.stringify({ resourceSpans });
}

function spanToJson(span: DecodedSpan): Record<string, unknown> {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId === '' ? {} : { parentSpanId: span.parentSpanId }),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: attributesToJson(span.attributes),
    links: span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      attributes: attributesToJson(link.attributes),
    })),
    status: { code: span.statusCode, ...(span.statusMessage === '' ? {} : { message: span.statusMessage }) },
  };
}

function attributesToJson(attributes: Attributes): { key: string; value: Record<string, unknown> }[] {
  return Object.keys(attributes).map((key) => ({ key, value: anyValueToJson(attributes[key]!) }));
}

function anyValueToJson(value: AttributeValue): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { intValue: String(value) };
    // proto3 JSON spells the non-finite doubles as strings.
    return { doubleValue: Number.isFinite(value) ? value : String(value) };
  }
  if (typeof value === 'bigint') return { intValue: checkInt64(value).toString() };
  if (typeof value === 'boolean') return { boolValue: value };
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValueToJson) } };
  if (value === null) return {};
  return { kvlistValue: { values: attributesToJson(value) } };
}
