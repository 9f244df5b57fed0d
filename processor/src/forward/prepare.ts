import type { LlmCall } from '../ledger/llm-call.js';
import { encodeTracesProtobuf } from '../otlp/encode-request.js';
import type { Attributes, DecodedSpan, JsonResourceWire, JsonScopeWire } from '../otlp/types.js';
import { callAttributes, planAttributes, type AddedAttribute, type AttributePlan } from './enrich.js';
import { JsonTranscodeError, jsonResourceToProtobuf, jsonSchemaUrl, jsonScopeToProtobuf, jsonSpanToProtobuf } from './wire/json-to-protobuf.js';
import { spanIdentity, splitRequest, type ResourceHeader, type ScopeHeader, type WireSpan } from './wire/request.js';
import { spliceSpan } from './wire/splice-span.js';

/** A span ready to forward, with what the after-rollup hold needs to know about it. */
export interface PreparedSpan extends WireSpan {
  readonly traceId: string;
  readonly isRoot: boolean;
}

export interface PreparedBatch {
  spans: PreparedSpan[];
  /** Spans encoded from their decoded fields: no wire form (built in code) or JSON the transcoder refused. */
  fromFields: number;
}

/**
 * Each stored span as it will be forwarded: its bytes as received with the ledger's attributes added.
 * Protobuf spans are spliced (their bytes untouched), JSON spans transcoded field by field; only a span with no
 * usable wire form is re-encoded from its decoded fields, which cannot carry events and the like.
 */
export function prepareSpans(spans: readonly DecodedSpan[], callRows: readonly LlmCall[]): PreparedBatch {
  const calls = new Map(callRows.map((call) => [`${call.trace_id}/${call.span_id}`, call]));
  const jsonHeaders = new JsonHeaders();
  const prepared: PreparedSpan[] = [];
  const fromFields: DecodedSpan[] = [];
  for (const span of spans) {
    const plan = planAttributes(span.attributes, wantedAttributes(span, calls));
    const wire = span.wire;
    const isRoot = span.parentSpanId === '';
    if (wire?.format === 'protobuf') {
      const original = wire.scope.resource.body.subarray(wire.start, wire.end);
      prepared.push({ traceId: span.traceId, isRoot, header: wire.scope, bytes: spliceSpan(original, plan) });
      continue;
    }
    if (wire?.format === 'json') {
      try {
        prepared.push({ traceId: span.traceId, isRoot, header: jsonHeaders.of(wire.scope), bytes: jsonSpanToProtobuf(wire.span, plan) });
        continue;
      } catch (error) {
        if (!(error instanceof JsonTranscodeError)) throw error;
      }
    }
    fromFields.push(withAttributes(span, plan.add));
  }
  if (fromFields.length > 0) {
    for (const wireSpan of splitRequest(encodeTracesProtobuf(fromFields))) prepared.push({ ...wireSpan, ...spanIdentity(wireSpan.bytes) });
  }
  return { spans: prepared, fromFields: fromFields.length };
}

function wantedAttributes(span: DecodedSpan, calls: ReadonlyMap<string, LlmCall>): AddedAttribute[] {
  const call = calls.get(`${span.traceId}/${span.spanId}`);
  if (call === undefined) return [];
  // The ledger keeps the outer span of a call reported twice (parent and child); the inner one repeats it.
  const nestedRepeat = call.parent_span_id !== null && calls.has(`${span.traceId}/${call.parent_span_id}`);
  return callAttributes(call, nestedRepeat);
}

/**
 * A copy of the span with the plan's attributes set (replacing any of the same key). The decoded form keeps no
 * int/double distinction, so an integral cost goes out as an int here: one more reason this is only a fallback.
 */
function withAttributes(span: DecodedSpan, added: readonly AddedAttribute[]): DecodedSpan {
  const attributes: Attributes = { ...span.attributes };
  for (const attribute of added) attributes[attribute.key] = attribute.value;
  return { ...span, attributes };
}

/** Protobuf headers for JSON requests, made once per ResourceSpans/ScopeSpans of the request. */
class JsonHeaders {
  private readonly resources = new Map<JsonResourceWire, ResourceHeader>();
  private readonly scopes = new Map<JsonScopeWire, ScopeHeader>();

  of(wire: JsonScopeWire): ScopeHeader {
    let header = this.scopes.get(wire);
    if (header === undefined) {
      let resource = this.resources.get(wire.resource);
      if (resource === undefined) {
        resource = { resource: jsonResourceToProtobuf(wire.resource.resource), schemaUrl: jsonSchemaUrl(wire.resource.schemaUrl) };
        this.resources.set(wire.resource, resource);
      }
      header = { resource, scope: jsonScopeToProtobuf(wire.scope), schemaUrl: jsonSchemaUrl(wire.schemaUrl) };
      this.scopes.set(wire, header);
    }
    return header;
  }
}

/**
 * Copies of spans to keep for a while (after-rollup): protobuf spans point into their request body, which would
 * stay alive for as long as any one of its spans is held.
 */
export function detachSpans(spans: readonly PreparedSpan[]): PreparedSpan[] {
  const resources = new Map<ResourceHeader, ResourceHeader>();
  const scopes = new Map<ScopeHeader, ScopeHeader>();
  const copyBytes = (bytes: Uint8Array | null) => (bytes === null ? null : new Uint8Array(bytes));
  return spans.map((span) => {
    let header = scopes.get(span.header);
    if (header === undefined) {
      let resource = resources.get(span.header.resource);
      if (resource === undefined) {
        resource = { resource: copyBytes(span.header.resource.resource), schemaUrl: span.header.resource.schemaUrl };
        resources.set(span.header.resource, resource);
      }
      header = { resource, scope: copyBytes(span.header.scope), schemaUrl: span.header.schemaUrl };
      scopes.set(span.header, header);
    }
    return { traceId: span.traceId, isRoot: span.isRoot, header, bytes: new Uint8Array(span.bytes) };
  });
}

/** Adds attributes to a prepared span (the action's totals on a root span), replacing any of the same keys. */
export function withAddedAttributes(span: PreparedSpan, added: AddedAttribute[]): PreparedSpan {
  const plan: AttributePlan = { add: added, replace: new Set(added.map((attribute) => attribute.key)) };
  return { ...span, bytes: spliceSpan(span.bytes, plan) };
}
