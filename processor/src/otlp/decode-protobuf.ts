import { newSpanAttributes, setAttribute } from './attributes.js';
import { FieldError, rethrowAt, toDecodeError } from './errors.js';
import { ProtoReader } from './proto-reader.js';
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
import { collectSpan } from './span-validation.js';
import type {
  AttributeValue,
  Attributes,
  DecodeOptions,
  DecodedSpan,
  DecodedTraces,
  ProtobufResourceWire,
  ProtobufScopeWire,
  SpanLink as DecodedLink,
} from './types.js';

/**
 * Decodes an OTLP/protobuf ExportTraceServiceRequest (HTTP body or gRPC message) straight into DecodedSpans.
 *
 * A hand-written reader rather than protobufjs: it reads only the fields the processor uses, makes hex ids and
 * bigint timestamps directly from the wire bytes (protobufjs gives byte arrays and Long objects to convert in a
 * second pass), caches repeated short strings, and reports errors with the field path. Measured on 500-span
 * GenAI requests (bench/decode.ts, 2 cores): ~290k spans/s, against ~75k for protobufjs reflection decoding alone.
 */
export function decodeTracesProtobuf(body: Uint8Array, options: DecodeOptions = {}): DecodedTraces {
  const reader = new ProtoReader(body);
  const keepWire = options.keepWire === true;
  const out: DecodedTraces = { spans: [], rejectedSpans: 0, rejectionMessage: '' };
  const end = reader.len;
  let index = 0;
  try {
    while (reader.pos < end) {
      const tag = reader.uint32(end);
      if (tag === ExportTraceServiceRequest.tag.resourceSpans) {
        try {
          decodeResourceSpans(reader, reader.delimited(end), out, index, keepWire);
        } catch (error) {
          rethrowAt(error, `resourceSpans[${index}]`);
        }
        index++;
      } else {
        reader.skip(tag, end, ExportTraceServiceRequest);
      }
    }
  } catch (error) {
    throw toDecodeError(error);
  }
  return out;
}

/** Protobuf's own default recursion limit; deeper AnyValue nesting is treated as hostile input. */
const MAX_DEPTH = 100;

function decodeResourceSpans(reader: ProtoReader, end: number, out: DecodedTraces, resourceIndex: number, keepWire: boolean): void {
  // Spans share one resource object; fields may come in any order, so it is filled wherever `resource` appears.
  const resource: Attributes = {};
  const wire: ProtobufResourceWire | null = keepWire ? { body: reader.buf, resource: null, schemaUrl: '' } : null;
  let scopeIndex = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === ResourceSpans.tag.scopeSpans) {
      try {
        decodeScopeSpans(reader, reader.delimited(end), out, resource, wire, resourceIndex, scopeIndex);
      } catch (error) {
        rethrowAt(error, `scopeSpans[${scopeIndex}]`);
      }
      scopeIndex++;
    } else if (tag === ResourceSpans.tag.resource) {
      try {
        const resourceEnd = reader.delimited(end);
        if (wire !== null) wire.resource = reader.buf.subarray(reader.pos, resourceEnd);
        decodeResource(reader, resourceEnd, resource);
      } catch (error) {
        rethrowAt(error, 'resource');
      }
    } else if (wire !== null && tag === ResourceSpans.tag.schemaUrl) {
      wire.schemaUrl = reader.string(end);
    } else {
      reader.skip(tag, end, ResourceSpans);
    }
  }
}

function decodeResource(reader: ProtoReader, end: number, into: Attributes): void {
  let index = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === Resource.tag.attributes) {
      decodeAttribute(reader, end, into, 'attributes', index++, 0);
    } else {
      reader.skip(tag, end, Resource);
    }
  }
}

function decodeScopeSpans(
  reader: ProtoReader,
  end: number,
  out: DecodedTraces,
  resource: Attributes,
  resourceWire: ProtobufResourceWire | null,
  resourceIndex: number,
  scopeIndex: number,
): void {
  const firstSpan = out.spans.length;
  const wire: ProtobufScopeWire | null = resourceWire === null ? null : { resource: resourceWire, scope: null, schemaUrl: '' };
  let scopeName = '';
  let scopeVersion = '';
  let index = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === ScopeSpans.tag.spans) {
      let span: DecodedSpan;
      try {
        const spanEnd = reader.delimited(end);
        const spanStart = reader.pos;
        span = decodeSpan(reader, spanEnd, resource);
        if (wire !== null) span.wire = { format: 'protobuf', scope: wire, start: spanStart, end: spanEnd };
      } catch (error) {
        rethrowAt(error, `spans[${index}]`);
      }
      collectSpan(out, span, resourceIndex, scopeIndex, index);
      index++;
    } else if (tag === ScopeSpans.tag.scope) {
      try {
        const scopeEnd = reader.delimited(end);
        if (wire !== null) wire.scope = reader.buf.subarray(reader.pos, scopeEnd);
        while (reader.pos < scopeEnd) {
          const scopeTag = reader.uint32(scopeEnd);
          if (scopeTag === InstrumentationScope.tag.name) scopeName = reader.string(scopeEnd);
          else if (scopeTag === InstrumentationScope.tag.version) scopeVersion = reader.string(scopeEnd);
          else reader.skip(scopeTag, scopeEnd, InstrumentationScope);
        }
      } catch (error) {
        rethrowAt(error, 'scope');
      }
    } else if (wire !== null && tag === ScopeSpans.tag.schemaUrl) {
      wire.schemaUrl = reader.string(end);
    } else {
      reader.skip(tag, end, ScopeSpans);
    }
  }
  // The scope may follow its spans on the wire, so it is applied once the message is complete.
  if (scopeName !== '' || scopeVersion !== '') {
    for (let i = firstSpan; i < out.spans.length; i++) {
      const span = out.spans[i]!;
      span.scopeName = scopeName;
      span.scopeVersion = scopeVersion;
    }
  }
}

function decodeSpan(reader: ProtoReader, end: number, resource: Attributes): DecodedSpan {
  const span: DecodedSpan = {
    resource,
    scopeName: '',
    scopeVersion: '',
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: newSpanAttributes(),
    statusCode: 0,
    statusMessage: '',
    links: [],
  };
  let attributeIndex = 0;
  let field = '';
  try {
    while (reader.pos < end) {
      const tag = reader.uint32(end);
      switch (tag) {
        case Span.tag.traceId:
          field = 'traceId';
          span.traceId = reader.hex(end);
          break;
        case Span.tag.spanId:
          field = 'spanId';
          span.spanId = reader.hex(end);
          break;
        case Span.tag.parentSpanId:
          field = 'parentSpanId';
          span.parentSpanId = reader.hex(end);
          break;
        case Span.tag.name:
          field = 'name';
          span.name = reader.string(end);
          break;
        case Span.tag.kind:
          field = 'kind';
          span.kind = reader.uint32(end) | 0;
          break;
        case Span.tag.startTimeUnixNano:
          field = 'startTimeUnixNano';
          span.startTimeUnixNano = reader.fixed64(end);
          break;
        case Span.tag.endTimeUnixNano:
          field = 'endTimeUnixNano';
          span.endTimeUnixNano = reader.fixed64(end);
          break;
        case Span.tag.attributes:
          field = '';
          decodeAttribute(reader, end, span.attributes, 'attributes', attributeIndex++, 0);
          break;
        case Span.tag.links:
          field = `links[${span.links.length}]`;
          span.links.push(decodeLink(reader, reader.delimited(end)));
          break;
        case Span.tag.status:
          field = 'status';
          decodeStatus(reader, reader.delimited(end), span);
          break;
        default:
          field = '';
          reader.skip(tag, end, Span);
      }
    }
  } catch (error) {
    rethrowAt(error, field);
  }
  return span;
}

function decodeLink(reader: ProtoReader, end: number): DecodedLink {
  const link: DecodedLink = { traceId: '', spanId: '', attributes: {} };
  let attributeIndex = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === SpanLink.tag.traceId) link.traceId = reader.hex(end);
    else if (tag === SpanLink.tag.spanId) link.spanId = reader.hex(end);
    else if (tag === SpanLink.tag.attributes) decodeAttribute(reader, end, link.attributes, 'attributes', attributeIndex++, 0);
    else reader.skip(tag, end, SpanLink);
  }
  return link;
}

function decodeStatus(reader: ProtoReader, end: number, span: DecodedSpan): void {
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === Status.tag.code) span.statusCode = reader.uint32(end) | 0;
    else if (tag === Status.tag.message) span.statusMessage = reader.string(end);
    else reader.skip(tag, end, Status);
  }
}

/** Reads one length-delimited KeyValue into `into`; `list[index]` names it in error paths. */
function decodeAttribute(
  reader: ProtoReader,
  enclosingEnd: number,
  into: Attributes,
  list: string,
  index: number,
  depth: number,
): void {
  try {
    const end = reader.delimited(enclosingEnd);
    let key = '';
    let value: AttributeValue = null;
    while (reader.pos < end) {
      const tag = reader.uint32(end);
      if (tag === KeyValue.tag.key) key = reader.key(end);
      else if (tag === KeyValue.tag.value) value = decodeValue(reader, end, depth);
      else reader.skip(tag, end, KeyValue);
    }
    setAttribute(into, key, value);
  } catch (error) {
    rethrowAt(error, `${list}[${index}]`);
  }
}

function decodeValue(reader: ProtoReader, end: number, depth: number): AttributeValue {
  try {
    return decodeAnyValue(reader, reader.delimited(end), depth);
  } catch (error) {
    rethrowAt(error, 'value');
  }
}

function decodeAnyValue(reader: ProtoReader, end: number, depth: number): AttributeValue {
  if (depth > MAX_DEPTH) throw new FieldError('', `values nested deeper than ${MAX_DEPTH} levels`);
  // An empty AnyValue is valid and means "no value"; with several oneof members set, the last one wins.
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    switch (tag) {
      case AnyValue.tag.stringValue:
        value = reader.string(end);
        break;
      case AnyValue.tag.intValue:
        value = reader.int64(end);
        break;
      case AnyValue.tag.doubleValue:
        value = reader.double(end);
        break;
      case AnyValue.tag.boolValue:
        value = reader.uint32(end) !== 0;
        break;
      case AnyValue.tag.arrayValue:
        value = decodeArray(reader, reader.delimited(end), depth + 1);
        break;
      case AnyValue.tag.kvlistValue:
        value = decodeKvlist(reader, reader.delimited(end), depth + 1);
        break;
      case AnyValue.tag.bytesValue:
        value = reader.bytes(end);
        break;
      case AnyValue.tag.stringValueStrindex:
        // Profiling-only reference into a string table traces do not have: treated as absent, per the spec.
        reader.uint32(end);
        value = null;
        break;
      default:
        reader.skip(tag, end, AnyValue);
    }
  }
  return value;
}

function decodeArray(reader: ProtoReader, end: number, depth: number): AttributeValue[] {
  const values: AttributeValue[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === ValueList.tag.values) {
      try {
        values.push(decodeAnyValue(reader, reader.delimited(end), depth));
      } catch (error) {
        rethrowAt(error, `arrayValue.values[${values.length}]`);
      }
    } else {
      reader.skip(tag, end, ValueList);
    }
  }
  return values;
}

function decodeKvlist(reader: ProtoReader, end: number, depth: number): Attributes {
  const values: Attributes = {};
  let index = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === ValueList.tag.values) decodeAttribute(reader, end, values, 'kvlistValue.values', index++, depth);
    else reader.skip(tag, end, ValueList);
  }
  return values;
}
