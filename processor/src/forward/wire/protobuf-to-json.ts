import { ProtoReader } from '../../otlp/proto-reader.js';
import {
  AnyValue,
  ExportTraceServiceRequest,
  InstrumentationScope,
  KeyValue,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  Status,
  ValueList,
  type MessageSchema,
} from '../../otlp/schema.js';

/**
 * ExportTraceServiceRequest protobuf → OTLP/JSON, for exporters configured with http/json. Every trace field is
 * carried (events, trace state, flags, dropped counts, scope attributes, schema URLs); proto3 JSON leaves out
 * defaults. OTLP/JSON specifics: hex ids, integer enums, 64-bit integers as decimal strings, base64 bytes.
 * The input is the forwarder's own encoding, so a malformed field throws (a bug, not bad client data).
 */
export function protobufTracesToJson(request: Uint8Array): string {
  const reader = new ProtoReader(request);
  const resourceSpans: unknown[] = [];
  readFields(reader, reader.len, ExportTraceServiceRequest, (tag, end) => {
    if (tag !== ExportTraceServiceRequest.tag.resourceSpans) return false;
    resourceSpans.push(readResourceSpans(reader, reader.delimited(end)));
    return true;
  });
  return JSON.stringify({ resourceSpans });
}

type Json = Record<string, unknown>;

/** Calls `field` for each field up to `end`; fields it does not take (returns false) are skipped. */
function readFields(reader: ProtoReader, end: number, schema: MessageSchema<string>, field: (tag: number, end: number) => boolean): void {
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (!field(tag, end)) reader.skip(tag, end, schema);
  }
}

function readResourceSpans(reader: ProtoReader, end: number): Json {
  const out: Json = {};
  const scopeSpans: unknown[] = [];
  readFields(reader, end, ResourceSpans, (tag) => {
    if (tag === ResourceSpans.tag.resource) {
      const resource: Json = {};
      readAttributeOwner(reader, reader.delimited(end), Resource, Resource.tag.attributes, Resource.tag.droppedAttributesCount, resource);
      out['resource'] = resource;
    } else if (tag === ResourceSpans.tag.scopeSpans) {
      scopeSpans.push(readScopeSpans(reader, reader.delimited(end)));
    } else if (tag === ResourceSpans.tag.schemaUrl) {
      out['schemaUrl'] = reader.string(end);
    } else {
      return false;
    }
    return true;
  });
  out['scopeSpans'] = scopeSpans;
  return out;
}

function readScopeSpans(reader: ProtoReader, end: number): Json {
  const out: Json = {};
  const spans: unknown[] = [];
  readFields(reader, end, ScopeSpans, (tag) => {
    if (tag === ScopeSpans.tag.scope) {
      const scopeEnd = reader.delimited(end);
      const scope: Json = {};
      readFields(reader, scopeEnd, InstrumentationScope, (scopeTag) => {
        if (scopeTag === InstrumentationScope.tag.name) scope['name'] = reader.string(scopeEnd);
        else if (scopeTag === InstrumentationScope.tag.version) scope['version'] = reader.string(scopeEnd);
        else if (scopeTag === InstrumentationScope.tag.attributes) pushAttribute(reader, scopeEnd, scope);
        else if (scopeTag === InstrumentationScope.tag.droppedAttributesCount) scope['droppedAttributesCount'] = reader.uint32(scopeEnd);
        else return false;
        return true;
      });
      out['scope'] = scope;
    } else if (tag === ScopeSpans.tag.spans) {
      spans.push(readSpan(reader, reader.delimited(end)));
    } else if (tag === ScopeSpans.tag.schemaUrl) {
      out['schemaUrl'] = reader.string(end);
    } else {
      return false;
    }
    return true;
  });
  out['spans'] = spans;
  return out;
}

function readSpan(reader: ProtoReader, end: number): Json {
  const span: Json = {};
  const events: unknown[] = [];
  const links: unknown[] = [];
  readFields(reader, end, Span, (tag) => {
    switch (tag) {
      case Span.tag.traceId:
        span['traceId'] = reader.hex(end);
        break;
      case Span.tag.spanId:
        span['spanId'] = reader.hex(end);
        break;
      case Span.tag.traceState:
        span['traceState'] = reader.string(end);
        break;
      case Span.tag.parentSpanId:
        span['parentSpanId'] = reader.hex(end);
        break;
      case Span.tag.flags:
        span['flags'] = reader.fixed32(end);
        break;
      case Span.tag.name:
        span['name'] = reader.string(end);
        break;
      case Span.tag.kind:
        span['kind'] = reader.uint32(end) | 0;
        break;
      case Span.tag.startTimeUnixNano:
        span['startTimeUnixNano'] = reader.fixed64(end).toString();
        break;
      case Span.tag.endTimeUnixNano:
        span['endTimeUnixNano'] = reader.fixed64(end).toString();
        break;
      case Span.tag.attributes:
        pushAttribute(reader, end, span);
        break;
      case Span.tag.droppedAttributesCount:
        span['droppedAttributesCount'] = reader.uint32(end);
        break;
      case Span.tag.events: {
        const event: Json = {};
        const eventEnd = reader.delimited(end);
        readFields(reader, eventEnd, SpanEvent, (eventTag) => {
          if (eventTag === SpanEvent.tag.timeUnixNano) event['timeUnixNano'] = reader.fixed64(eventEnd).toString();
          else if (eventTag === SpanEvent.tag.name) event['name'] = reader.string(eventEnd);
          else if (eventTag === SpanEvent.tag.attributes) pushAttribute(reader, eventEnd, event);
          else if (eventTag === SpanEvent.tag.droppedAttributesCount) event['droppedAttributesCount'] = reader.uint32(eventEnd);
          else return false;
          return true;
        });
        events.push(event);
        break;
      }
      case Span.tag.droppedEventsCount:
        span['droppedEventsCount'] = reader.uint32(end);
        break;
      case Span.tag.links:
        links.push(readLink(reader, reader.delimited(end)));
        break;
      case Span.tag.droppedLinksCount:
        span['droppedLinksCount'] = reader.uint32(end);
        break;
      case Span.tag.status: {
        const status: Json = {};
        const statusEnd = reader.delimited(end);
        readFields(reader, statusEnd, Status, (statusTag) => {
          if (statusTag === Status.tag.message) status['message'] = reader.string(statusEnd);
          else if (statusTag === Status.tag.code) status['code'] = reader.uint32(statusEnd) | 0;
          else return false;
          return true;
        });
        span['status'] = status;
        break;
      }
      default:
        return false;
    }
    return true;
  });
  if (events.length > 0) span['events'] = events;
  if (links.length > 0) span['links'] = links;
  return span;
}

function readLink(reader: ProtoReader, end: number): Json {
  const link: Json = {};
  readFields(reader, end, SpanLink, (tag) => {
    if (tag === SpanLink.tag.traceId) link['traceId'] = reader.hex(end);
    else if (tag === SpanLink.tag.spanId) link['spanId'] = reader.hex(end);
    else if (tag === SpanLink.tag.traceState) link['traceState'] = reader.string(end);
    else if (tag === SpanLink.tag.attributes) pushAttribute(reader, end, link);
    else if (tag === SpanLink.tag.droppedAttributesCount) link['droppedAttributesCount'] = reader.uint32(end);
    else if (tag === SpanLink.tag.flags) link['flags'] = reader.fixed32(end);
    else return false;
    return true;
  });
  return link;
}

/** A message whose only fields are `attributes` and `droppedAttributesCount` (Resource). */
function readAttributeOwner(
  reader: ProtoReader,
  end: number,
  schema: MessageSchema<string>,
  attributesTag: number,
  droppedTag: number,
  into: Json,
): void {
  readFields(reader, end, schema, (tag) => {
    if (tag === attributesTag) pushAttribute(reader, end, into);
    else if (tag === droppedTag) into['droppedAttributesCount'] = reader.uint32(end);
    else return false;
    return true;
  });
}

/** Appends one KeyValue to `owner.attributes`. */
function pushAttribute(reader: ProtoReader, enclosingEnd: number, owner: Json): void {
  const attributes = (owner['attributes'] ??= []) as unknown[];
  attributes.push(readKeyValue(reader, reader.delimited(enclosingEnd)));
}

function readKeyValue(reader: ProtoReader, end: number): Json {
  const keyValue: Json = { key: '' };
  readFields(reader, end, KeyValue, (tag) => {
    if (tag === KeyValue.tag.key) keyValue['key'] = reader.string(end);
    else if (tag === KeyValue.tag.value) keyValue['value'] = readAnyValue(reader, reader.delimited(end));
    else return false;
    return true;
  });
  return keyValue;
}

function readAnyValue(reader: ProtoReader, end: number): Json {
  const value: Json = {};
  readFields(reader, end, AnyValue, (tag) => {
    switch (tag) {
      case AnyValue.tag.stringValue:
        value['stringValue'] = reader.string(end);
        break;
      case AnyValue.tag.boolValue:
        value['boolValue'] = reader.uint32(end) !== 0;
        break;
      case AnyValue.tag.intValue:
        value['intValue'] = reader.int64(end).toString();
        break;
      case AnyValue.tag.doubleValue: {
        const double = reader.double(end);
        // proto3 JSON spells the non-finite doubles as strings.
        value['doubleValue'] = Number.isFinite(double) ? double : String(double);
        break;
      }
      case AnyValue.tag.arrayValue: {
        const listEnd = reader.delimited(end);
        const values: unknown[] = [];
        readFields(reader, listEnd, ValueList, (listTag) => {
          if (listTag !== ValueList.tag.values) return false;
          values.push(readAnyValue(reader, reader.delimited(listEnd)));
          return true;
        });
        value['arrayValue'] = { values };
        break;
      }
      case AnyValue.tag.kvlistValue: {
        const listEnd = reader.delimited(end);
        const list: Json = {};
        readFields(reader, listEnd, ValueList, (listTag) => {
          if (listTag !== ValueList.tag.values) return false;
          pushAttribute(reader, listEnd, list);
          return true;
        });
        value['kvlistValue'] = { values: list['attributes'] ?? [] };
        break;
      }
      case AnyValue.tag.bytesValue:
        value['bytesValue'] = Buffer.from(reader.bytes(end)).toString('base64');
        break;
      default:
        return false;
    }
    return true;
  });
  return value;
}
