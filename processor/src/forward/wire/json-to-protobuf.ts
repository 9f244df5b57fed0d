import { ProtoWriter } from '../../otlp/proto-writer.js';
import { AnyValue, InstrumentationScope, KeyValue, Resource, Span, SpanEvent, SpanLink, Status, ValueList } from '../../otlp/schema.js';
import type { AttributePlan } from '../enrich.js';
import { writeAddedAttributes } from './added-attributes.js';

/**
 * OTLP/JSON → protobuf for spans received as JSON, every field the trace protocol defines (events, trace state,
 * flags, dropped counts, scope attributes), with OTLP/JSON's rules: hex ids, integer or named enums, 64-bit
 * integers as strings or numbers, and intValue/doubleValue kept apart as sent.
 * The decoder validated only what it reads, so anything else malformed throws JsonTranscodeError.
 */
export class JsonTranscodeError extends Error {
  override name = 'JsonTranscodeError';
}

type JsonObject = Readonly<Record<string, unknown>>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const HEX = /^(?:[0-9a-f]{2})*$/i;
const UNSIGNED = /^\d+$/;
const SIGNED = /^-?\d+$/;
const MAX_DEPTH = 100;

/** The Span message for a JSON span, without the attributes `plan` replaces and with the ones it adds. */
export function jsonSpanToProtobuf(span: JsonObject, plan: AttributePlan): Uint8Array {
  const writer = new ProtoWriter(1024);
  writeId(writer, Span.tag.traceId, span['traceId'], 'traceId');
  writeId(writer, Span.tag.spanId, span['spanId'], 'spanId');
  writeString(writer, Span.tag.traceState, span['traceState'], 'traceState');
  writeId(writer, Span.tag.parentSpanId, span['parentSpanId'], 'parentSpanId');
  writeString(writer, Span.tag.name, span['name'], 'name');
  writeUint32(writer, Span.tag.kind, enumValue(span['kind'], SPAN_KINDS, 'kind'));
  writeFixed64(writer, Span.tag.startTimeUnixNano, span['startTimeUnixNano'], 'startTimeUnixNano');
  writeFixed64(writer, Span.tag.endTimeUnixNano, span['endTimeUnixNano'], 'endTimeUnixNano');
  writeAttributes(writer, Span.tag.attributes, span['attributes'], plan.replace);
  writeAddedAttributes(writer, Span.tag.attributes, plan.add);
  writeUint32(writer, Span.tag.droppedAttributesCount, uint32(span['droppedAttributesCount'], 'droppedAttributesCount'));
  for (const event of array(span['events'], 'events')) {
    writer.tag(Span.tag.events);
    const start = writer.begin();
    const e = object(event, 'events[]');
    writeFixed64(writer, SpanEvent.tag.timeUnixNano, e['timeUnixNano'], 'events[].timeUnixNano');
    writeString(writer, SpanEvent.tag.name, e['name'], 'events[].name');
    writeAttributes(writer, SpanEvent.tag.attributes, e['attributes']);
    writeUint32(writer, SpanEvent.tag.droppedAttributesCount, uint32(e['droppedAttributesCount'], 'events[].droppedAttributesCount'));
    writer.end(start);
  }
  writeUint32(writer, Span.tag.droppedEventsCount, uint32(span['droppedEventsCount'], 'droppedEventsCount'));
  for (const link of array(span['links'], 'links')) {
    writer.tag(Span.tag.links);
    const start = writer.begin();
    const l = object(link, 'links[]');
    writeId(writer, SpanLink.tag.traceId, l['traceId'], 'links[].traceId');
    writeId(writer, SpanLink.tag.spanId, l['spanId'], 'links[].spanId');
    writeString(writer, SpanLink.tag.traceState, l['traceState'], 'links[].traceState');
    writeAttributes(writer, SpanLink.tag.attributes, l['attributes']);
    writeUint32(writer, SpanLink.tag.droppedAttributesCount, uint32(l['droppedAttributesCount'], 'links[].droppedAttributesCount'));
    writeFixed32(writer, SpanLink.tag.flags, uint32(l['flags'], 'links[].flags'));
    writer.end(start);
  }
  writeUint32(writer, Span.tag.droppedLinksCount, uint32(span['droppedLinksCount'], 'droppedLinksCount'));
  if (span['status'] != null) {
    const status = object(span['status'], 'status');
    writer.tag(Span.tag.status);
    const start = writer.begin();
    writeString(writer, Status.tag.message, status['message'], 'status.message');
    writeUint32(writer, Status.tag.code, enumValue(status['code'], STATUS_CODES, 'status.code'));
    writer.end(start);
  }
  writeFixed32(writer, Span.tag.flags, uint32(span['flags'], 'flags'));
  return writer.finish();
}

/** The Resource message (attributes, dropped count), or null when the request had none. */
export function jsonResourceToProtobuf(resource: unknown): Uint8Array | null {
  if (resource == null) return null;
  const r = object(resource, 'resource');
  const writer = new ProtoWriter(512);
  writeAttributes(writer, Resource.tag.attributes, r['attributes']);
  writeUint32(writer, Resource.tag.droppedAttributesCount, uint32(r['droppedAttributesCount'], 'resource.droppedAttributesCount'));
  return writer.finish();
}

/** The InstrumentationScope message, or null when the request had none. */
export function jsonScopeToProtobuf(scope: unknown): Uint8Array | null {
  if (scope == null) return null;
  const s = object(scope, 'scope');
  const writer = new ProtoWriter(256);
  writeString(writer, InstrumentationScope.tag.name, s['name'], 'scope.name');
  writeString(writer, InstrumentationScope.tag.version, s['version'], 'scope.version');
  writeAttributes(writer, InstrumentationScope.tag.attributes, s['attributes']);
  writeUint32(writer, InstrumentationScope.tag.droppedAttributesCount, uint32(s['droppedAttributesCount'], 'scope.droppedAttributesCount'));
  return writer.finish();
}

/** A schemaUrl as sent ('' when absent). */
export function jsonSchemaUrl(value: unknown): string {
  return optionalString(value, 'schemaUrl');
}

function writeAttributes(writer: ProtoWriter, tag: number, value: unknown, skip?: ReadonlySet<string>, depth = 0): void {
  for (const item of array(value, 'attributes')) {
    const keyValue = object(item, 'attributes[]');
    const key = optionalString(keyValue['key'], 'attributes[].key');
    if (skip?.has(key) === true) continue;
    writer.tag(tag);
    const start = writer.begin();
    if (key !== '') writer.tag(KeyValue.tag.key).string(key);
    if (keyValue['value'] != null) {
      writer.tag(KeyValue.tag.value);
      writeAnyValue(writer, keyValue['value'], depth);
    }
    writer.end(start);
  }
}

function writeAnyValue(writer: ProtoWriter, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new JsonTranscodeError(`values nested deeper than ${MAX_DEPTH} levels`);
  const any = object(value, 'value');
  const start = writer.begin();
  for (const member of Object.keys(any)) {
    const v = any[member];
    if (v == null) continue;
    switch (member) {
      case 'stringValue':
        writer.tag(AnyValue.tag.stringValue).string(string(v, member));
        break;
      case 'boolValue':
        if (typeof v !== 'boolean') throw new JsonTranscodeError(`boolValue: expected true or false`);
        writer.tag(AnyValue.tag.boolValue).varint32(v ? 1 : 0);
        break;
      case 'intValue':
        writer.tag(AnyValue.tag.intValue).int64(int64(v));
        break;
      case 'doubleValue':
        writer.tag(AnyValue.tag.doubleValue).double(double(v));
        break;
      case 'arrayValue': {
        writer.tag(AnyValue.tag.arrayValue);
        const list = writer.begin();
        for (const item of array(object(v, member)['values'], 'arrayValue.values')) {
          writer.tag(ValueList.tag.values);
          writeAnyValue(writer, item ?? {}, depth + 1);
        }
        writer.end(list);
        break;
      }
      case 'kvlistValue': {
        writer.tag(AnyValue.tag.kvlistValue);
        const list = writer.begin();
        writeAttributes(writer, ValueList.tag.values, object(v, member)['values'], undefined, depth + 1);
        writer.end(list);
        break;
      }
      case 'bytesValue':
        writer.tag(AnyValue.tag.bytesValue).bytes(Buffer.from(string(v, member), 'base64'));
        break;
      default:
      // Unknown members (and the profiling-only stringValueStrindex) are not trace data.
    }
  }
  writer.end(start);
}

function writeId(writer: ProtoWriter, tag: number, value: unknown, field: string): void {
  if (value == null || value === '') return;
  if (typeof value !== 'string' || !HEX.test(value)) throw new JsonTranscodeError(`${field}: expected hex`);
  writer.tag(tag).hex(value);
}

function writeString(writer: ProtoWriter, tag: number, value: unknown, field: string): void {
  const text = optionalString(value, field);
  if (text !== '') writer.tag(tag).string(text);
}

function writeUint32(writer: ProtoWriter, tag: number, value: number): void {
  if (value !== 0) writer.tag(tag).varint32(value);
}

function writeFixed32(writer: ProtoWriter, tag: number, value: number): void {
  if (value !== 0) writer.tag(tag).fixed32(value);
}

function writeFixed64(writer: ProtoWriter, tag: number, value: unknown, field: string): void {
  if (value == null) return;
  let result: bigint | undefined;
  if (typeof value === 'string' && UNSIGNED.test(value)) result = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) result = BigInt(value);
  if (result === undefined || result >= 2n ** 64n) throw new JsonTranscodeError(`${field}: expected an unsigned 64-bit integer`);
  if (result !== 0n) writer.tag(tag).fixed64(result);
}

function enumValue(value: unknown, names: Record<string, number>, field: string): number {
  if (value == null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
  throw new JsonTranscodeError(`${field}: expected an enum value`);
}

function uint32(value: unknown, field: string): number {
  if (value == null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
  if (typeof value === 'string' && UNSIGNED.test(value) && Number(value) <= 0xffffffff) return Number(value);
  throw new JsonTranscodeError(`${field}: expected an unsigned 32-bit integer`);
}

function int64(value: unknown): number | bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && SIGNED.test(value)) {
    const big = BigInt(value);
    if (BigInt.asIntN(64, big) === big) return big;
  }
  throw new JsonTranscodeError('intValue: expected a signed 64-bit integer');
}

function double(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new JsonTranscodeError('doubleValue: expected a number');
}

function object(value: unknown, field: string): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw new JsonTranscodeError(`${field}: expected an object`);
}

function array(value: unknown, field: string): readonly unknown[] {
  if (value == null) return [];
  if (Array.isArray(value)) return value;
  throw new JsonTranscodeError(`${field}: expected an array`);
}

function string(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  throw new JsonTranscodeError(`${field}: expected a string`);
}

function optionalString(value: unknown, field: string): string {
  return value == null ? '' : string(value, field);
}
