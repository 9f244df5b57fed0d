import { ProtoReader } from '../../otlp/proto-reader.js';
import { ProtoWriter } from '../../otlp/proto-writer.js';
import { ExportTraceServiceRequest, ResourceSpans, ScopeSpans, Span } from '../../otlp/schema.js';

/**
 * Spans as protobuf bytes under their resource and scope, and the ExportTraceServiceRequest that carries them.
 * Headers are shared objects: spans with the same header identity go into one ResourceSpans/ScopeSpans, as
 * they arrived. A ProtobufScopeWire from the decoder is a ScopeHeader as it is (its bytes point into the request).
 */
export interface ResourceHeader {
  /** The Resource message, null when the request had none. */
  readonly resource: Uint8Array | null;
  readonly schemaUrl: string;
}

export interface ScopeHeader {
  readonly resource: ResourceHeader;
  /** The InstrumentationScope message, null when the request had none. */
  readonly scope: Uint8Array | null;
  readonly schemaUrl: string;
}

export interface WireSpan {
  readonly header: ScopeHeader;
  /** The Span message. */
  readonly bytes: Uint8Array;
}

/** Bytes of a length-delimited field whose tag is one byte (every field number here is below 16). */
function fieldSize(length: number): number {
  let size = 2;
  for (let v = length >>> 7; v > 0; v >>>= 7) size++;
  return size + length;
}

function optionalSize(bytes: Uint8Array | null): number {
  return bytes === null ? 0 : fieldSize(bytes.length);
}

function stringSize(text: string): number {
  return text === '' ? 0 : fieldSize(Buffer.byteLength(text));
}

/** Serialises the spans as one request; sizes are computed first so the bytes are written once, in place. */
export function encodeRequest(spans: readonly WireSpan[]): Uint8Array {
  const groups = new Map<ResourceHeader, Map<ScopeHeader, Uint8Array[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.header.resource);
    if (scopes === undefined) groups.set(span.header.resource, (scopes = new Map()));
    let list = scopes.get(span.header);
    if (list === undefined) scopes.set(span.header, (list = []));
    list.push(span.bytes);
  }
  const plan: Array<{ resource: ResourceHeader; size: number; scopes: Array<{ scope: ScopeHeader; size: number; spans: Uint8Array[] }> }> = [];
  let total = 0;
  for (const [resource, scopes] of groups) {
    const scopePlans = [...scopes].map(([scope, list]) => ({
      scope,
      spans: list,
      size: optionalSize(scope.scope) + list.reduce((sum, bytes) => sum + fieldSize(bytes.length), 0) + stringSize(scope.schemaUrl),
    }));
    const size = optionalSize(resource.resource) + scopePlans.reduce((sum, s) => sum + fieldSize(s.size), 0) + stringSize(resource.schemaUrl);
    plan.push({ resource, size, scopes: scopePlans });
    total += fieldSize(size);
  }
  // The writer reserves a few bytes ahead for varints: a little slack saves regrowing at the very end.
  const writer = new ProtoWriter(total + 16);
  for (const { resource, size, scopes } of plan) {
    writer.tag(ExportTraceServiceRequest.tag.resourceSpans).varint32(size);
    if (resource.resource !== null) writer.tag(ResourceSpans.tag.resource).bytes(resource.resource);
    for (const { scope, size: scopeSize, spans: list } of scopes) {
      writer.tag(ResourceSpans.tag.scopeSpans).varint32(scopeSize);
      if (scope.scope !== null) writer.tag(ScopeSpans.tag.scope).bytes(scope.scope);
      for (const bytes of list) writer.tag(ScopeSpans.tag.spans).bytes(bytes);
      if (scope.schemaUrl !== '') writer.tag(ScopeSpans.tag.schemaUrl).string(scope.schemaUrl);
    }
    if (resource.schemaUrl !== '') writer.tag(ResourceSpans.tag.schemaUrl).string(resource.schemaUrl);
  }
  return writer.finish();
}

/** The reverse of encodeRequest: each span of a request with its (shared) headers; bytes point into `request`. */
export function splitRequest(request: Uint8Array): WireSpan[] {
  const reader = new ProtoReader(request);
  const spans: WireSpan[] = [];
  const end = reader.len;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag !== ExportTraceServiceRequest.tag.resourceSpans) {
      reader.skip(tag, end, ExportTraceServiceRequest);
      continue;
    }
    const resourceEnd = reader.delimited(end);
    const resource = { resource: null as Uint8Array | null, schemaUrl: '' };
    while (reader.pos < resourceEnd) {
      const resourceTag = reader.uint32(resourceEnd);
      if (resourceTag === ResourceSpans.tag.resource) resource.resource = slice(reader, resourceEnd);
      else if (resourceTag === ResourceSpans.tag.schemaUrl) resource.schemaUrl = reader.string(resourceEnd);
      else if (resourceTag === ResourceSpans.tag.scopeSpans) splitScopeSpans(reader, reader.delimited(resourceEnd), resource, spans);
      else reader.skip(resourceTag, resourceEnd, ResourceSpans);
    }
  }
  return spans;
}

function splitScopeSpans(reader: ProtoReader, end: number, resource: ResourceHeader, out: WireSpan[]): void {
  const header = { resource, scope: null as Uint8Array | null, schemaUrl: '' };
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === ScopeSpans.tag.scope) header.scope = slice(reader, end);
    else if (tag === ScopeSpans.tag.schemaUrl) header.schemaUrl = reader.string(end);
    else if (tag === ScopeSpans.tag.spans) out.push({ header, bytes: slice(reader, end) });
    else reader.skip(tag, end, ScopeSpans);
  }
}

function slice(reader: ProtoReader, end: number): Uint8Array {
  const payloadEnd = reader.delimited(end);
  const bytes = reader.buf.subarray(reader.pos, payloadEnd);
  reader.pos = payloadEnd;
  return bytes;
}

/** A Span message's trace id and whether it is a root (no parent, or an all-zero parent id). */
export function spanIdentity(span: Uint8Array): { traceId: string; isRoot: boolean } {
  const reader = new ProtoReader(span);
  let traceId = '';
  let parent = '';
  while (reader.pos < reader.len) {
    const tag = reader.uint32(reader.len);
    if (tag === Span.tag.traceId) traceId = reader.hex(reader.len);
    else if (tag === Span.tag.parentSpanId) parent = reader.hex(reader.len);
    else reader.skip(tag, reader.len, Span);
  }
  return { traceId, isRoot: /^0*$/.test(parent) };
}
