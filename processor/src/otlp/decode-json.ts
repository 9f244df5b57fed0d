import { newSpanAttributes, setAttribute } from './attributes.js';
import { FieldError, OtlpDecodeError, rethrowAt, toDecodeError } from './errors.js';
import { quoteLongIntegers } from './json-long-integers.js';
import { collectSpan } from './span-validation.js';
import {
  SpanKind,
  StatusCode,
  type AttributeValue,
  type Attributes,
  type DecodeOptions,
  type DecodedSpan,
  type DecodedTraces,
  type JsonScopeWire,
  type SpanLink,
} from './types.js';

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest. OTLP/JSON is proto3 JSON with these differences, all handled
 * here: trace and span ids are case-insensitive hex (not base64), enums are integers (names are accepted too,
 * as the Collector does), keys are lowerCamelCase only, unknown fields are ignored, and 64-bit integers may be
 * strings or numbers. `null` means "not set", as in proto3 JSON.
 */
export function decodeTracesJson(body: Uint8Array | string, options: DecodeOptions = {}): DecodedTraces {
  const keepWire = options.keepWire === true;
  let text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // A UTF-8 byte order mark is allowed before JSON text but JSON.parse refuses it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return decodeRequest(parse(text), keepWire);
  } catch (error) {
    // JSON.parse rounded an integer beyond 2^53 in a 64-bit field: parse again with such numbers quoted.
    // Only requests that send big integers as JSON numbers pay for the second pass.
    if (!(error instanceof LostPrecisionError)) throw toDecodeError(error);
  }
  try {
    return decodeRequest(parse(quoteLongIntegers(text)), keepWire);
  } catch (error) {
    throw toDecodeError(error);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A 64-bit field holds a JSON number JSON.parse may have rounded. After the second pass only numbers in
 * exponent form (1e18) can still raise it, and then it is reported like any other invalid field.
 */
class LostPrecisionError extends FieldError {
  constructor(field: string) {
    super(field, 'integer beyond 2^53 written in exponent form; send 64-bit integers as decimal strings');
  }
}

type JsonObject = Record<string, unknown>;

const MAX_DEPTH = 100;
const HEX = /^[0-9a-f]*$/i;
const UNSIGNED_INTEGER = /^\d+$/;
const SIGNED_INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: SpanKind.UNSPECIFIED,
  SPAN_KIND_INTERNAL: SpanKind.INTERNAL,
  SPAN_KIND_SERVER: SpanKind.SERVER,
  SPAN_KIND_CLIENT: SpanKind.CLIENT,
  SPAN_KIND_PRODUCER: SpanKind.PRODUCER,
  SPAN_KIND_CONSUMER: SpanKind.CONSUMER,
};
const STATUS_CODE_NAMES: Record<string, number> = {
  STATUS_CODE_UNSET: StatusCode.UNSET,
  STATUS_CODE_OK: StatusCode.OK,
  STATUS_CODE_ERROR: StatusCode.ERROR,
};

function decodeRequest(root: unknown, keepWire: boolean): DecodedTraces {
  const request = expectObject(root, '', 'ExportTraceServiceRequest');
  const out: DecodedTraces = { spans: [], rejectedSpans: 0, rejectionMessage: '' };
  const resourceSpans = optionalArray(request['resourceSpans'], 'resourceSpans');
  for (let r = 0; r < resourceSpans.length; r++) {
    try {
      decodeResourceSpans(resourceSpans[r], out, r, keepWire);
    } catch (error) {
      rethrowAt(error, `resourceSpans[${r}]`);
    }
  }
  return out;
}

function decodeResourceSpans(value: unknown, out: DecodedTraces, resourceIndex: number, keepWire: boolean): void {
  const resourceSpans = expectObject(value, '', 'ResourceSpans');
  const resourceWire = keepWire ? { resource: resourceSpans['resource'], schemaUrl: resourceSpans['schemaUrl'] } : null;
  const resource: Attributes = {};
  const resourceValue = resourceSpans['resource'];
  if (resourceValue != null) {
    try {
      decodeAttributes(expectObject(resourceValue, '', 'Resource')['attributes'], resource, 'attributes', 0);
    } catch (error) {
      rethrowAt(error, 'resource');
    }
  }
  const scopeSpans = optionalArray(resourceSpans['scopeSpans'], 'scopeSpans');
  for (let s = 0; s < scopeSpans.length; s++) {
    try {
      decodeScopeSpans(scopeSpans[s], out, resource, resourceWire, resourceIndex, s);
    } catch (error) {
      rethrowAt(error, `scopeSpans[${s}]`);
    }
  }
}

function decodeScopeSpans(
  value: unknown,
  out: DecodedTraces,
  resource: Attributes,
  resourceWire: JsonScopeWire['resource'] | null,
  resourceIndex: number,
  scopeIndex: number,
): void {
  const scopeSpans = expectObject(value, '', 'ScopeSpans');
  const wire: JsonScopeWire | null =
    resourceWire === null ? null : { resource: resourceWire, scope: scopeSpans['scope'], schemaUrl: scopeSpans['schemaUrl'] };
  let scopeName = '';
  let scopeVersion = '';
  const scopeValue = scopeSpans['scope'];
  if (scopeValue != null) {
    const scope = expectObject(scopeValue, 'scope', 'InstrumentationScope');
    scopeName = optionalString(scope['name'], 'scope.name');
    scopeVersion = optionalString(scope['version'], 'scope.version');
  }
  const spans = optionalArray(scopeSpans['spans'], 'spans');
  for (let i = 0; i < spans.length; i++) {
    let span: DecodedSpan;
    try {
      span = decodeSpan(spans[i], resource, scopeName, scopeVersion);
      // decodeSpan checked it is an object.
      if (wire !== null) span.wire = { format: 'json', scope: wire, span: spans[i] as JsonObject };
    } catch (error) {
      rethrowAt(error, `spans[${i}]`);
    }
    collectSpan(out, span, resourceIndex, scopeIndex, i);
  }
}

function decodeSpan(value: unknown, resource: Attributes, scopeName: string, scopeVersion: string): DecodedSpan {
  const span = expectObject(value, '', 'Span');
  const attributes = newSpanAttributes();
  decodeAttributes(span['attributes'], attributes, 'attributes', 0);
  let statusCode = 0;
  let statusMessage = '';
  const statusValue = span['status'];
  if (statusValue != null) {
    const status = expectObject(statusValue, 'status', 'Status');
    statusCode = enumValue(status['code'], 'status.code', STATUS_CODE_NAMES);
    statusMessage = optionalString(status['message'], 'status.message');
  }
  return {
    resource,
    scopeName,
    scopeVersion,
    traceId: hexId(span['traceId'], 'traceId'),
    spanId: hexId(span['spanId'], 'spanId'),
    parentSpanId: hexId(span['parentSpanId'], 'parentSpanId'),
    name: optionalString(span['name'], 'name'),
    kind: enumValue(span['kind'], 'kind', SPAN_KIND_NAMES),
    startTimeUnixNano: fixed64(span['startTimeUnixNano'], 'startTimeUnixNano'),
    endTimeUnixNano: fixed64(span['endTimeUnixNano'], 'endTimeUnixNano'),
    attributes,
    statusCode,
    statusMessage,
    links: decodeLinks(span['links']),
  };
}

function decodeLinks(value: unknown): SpanLink[] {
  const items = optionalArray(value, 'links');
  const links: SpanLink[] = new Array<SpanLink>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      const link = expectObject(items[i], '', 'Span.Link');
      const attributes: Attributes = {};
      decodeAttributes(link['attributes'], attributes, 'attributes', 0);
      links[i] = { traceId: hexId(link['traceId'], 'traceId'), spanId: hexId(link['spanId'], 'spanId'), attributes };
    } catch (error) {
      rethrowAt(error, `links[${i}]`);
    }
  }
  return links;
}

function decodeAttributes(value: unknown, into: Attributes, list: string, depth: number): void {
  const items = optionalArray(value, list);
  for (let i = 0; i < items.length; i++) {
    try {
      const keyValue = expectObject(items[i], '', 'KeyValue');
      const anyValue = keyValue['value'];
      let decoded: AttributeValue = null;
      if (anyValue != null) {
        try {
          decoded = decodeAnyValue(anyValue, depth);
        } catch (error) {
          rethrowAt(error, 'value');
        }
      }
      setAttribute(into, optionalString(keyValue['key'], 'key'), decoded);
    } catch (error) {
      rethrowAt(error, `${list}[${i}]`);
    }
  }
}

function decodeAnyValue(value: unknown, depth: number): AttributeValue {
  if (depth > MAX_DEPTH) throw new FieldError('', `values nested deeper than ${MAX_DEPTH} levels`);
  const anyValue = expectObject(value, '', 'AnyValue');
  let result: AttributeValue = null;
  let found = '';
  for (const key in anyValue) {
    const member = anyValue[key];
    if (member == null) continue;
    let decoded: AttributeValue;
    switch (key) {
      case 'stringValue':
        decoded = expectString(member, key);
        break;
      case 'intValue':
        decoded = int64(member, key);
        break;
      case 'doubleValue':
        decoded = double(member, key);
        break;
      case 'boolValue':
        if (typeof member !== 'boolean') throw new FieldError(key, `expected true or false, got ${describe(member)}`);
        decoded = member;
        break;
      case 'arrayValue':
        decoded = decodeArrayValue(member, depth + 1);
        break;
      case 'kvlistValue': {
        const kvlist: Attributes = {};
        decodeAttributes(expectObject(member, key, 'KeyValueList')['values'], kvlist, 'kvlistValue.values', depth + 1);
        decoded = kvlist;
        break;
      }
      case 'bytesValue':
        decoded = base64Bytes(member, key);
        break;
      default:
        // Unknown members, and the profiling-only stringValueStrindex, are ignored.
        continue;
    }
    if (found !== '') throw new FieldError('', `more than one value is set (${found} and ${key})`);
    found = key;
    result = decoded;
  }
  return result;
}

function decodeArrayValue(value: unknown, depth: number): AttributeValue[] {
  const items = optionalArray(expectObject(value, 'arrayValue', 'ArrayValue')['values'], 'arrayValue.values');
  const values = new Array<AttributeValue>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    try {
      values[i] = item == null ? null : decodeAnyValue(item, depth);
    } catch (error) {
      rethrowAt(error, `arrayValue.values[${i}]`);
    }
  }
  return values;
}

function expectObject(value: unknown, field: string, type: string): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw new FieldError(field, `expected a JSON object (${type}), got ${describe(value)}`);
}

function optionalArray(value: unknown, field: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value == null) return [];
  throw new FieldError(field, `expected a JSON array, got ${describe(value)}`);
}

/**
 * JSON.parse lets a `\ud800` escape through as a lone surrogate, which no UTF-8 text can hold: DuckDB's JSON reader
 * refuses the roll-up's staged rows over it, and a retried write would never succeed. It becomes U+FFFD, as invalid
 * UTF-8 does in the protobuf decoder.
 */
function expectString(value: unknown, field: string): string {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  throw new FieldError(field, `expected a string, got ${describe(value)}`);
}

function optionalString(value: unknown, field: string): string {
  return value == null ? '' : expectString(value, field);
}

function hexId(value: unknown, field: string): string {
  if (value == null) return '';
  if (typeof value === 'string' && value.length % 2 === 0 && HEX.test(value)) return value.toLowerCase();
  throw new FieldError(
    field,
    `expected an id as an even number of hex characters (OTLP/JSON ids are hex, not base64), got ${describe(value)}`,
  );
}

function enumValue(value: unknown, field: string, names: Record<string, number>): number {
  if (value == null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647) {
    return value;
  }
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
  throw new FieldError(field, `expected an integer enum value, got ${describe(value)}`);
}

/** fixed64 (timestamps): a decimal string or a JSON number, as an unsigned bigint. */
function fixed64(value: unknown, field: string): bigint {
  if (value == null) return 0n;
  let result: bigint | undefined;
  if (typeof value === 'string' && UNSIGNED_INTEGER.test(value)) result = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (!Number.isSafeInteger(value)) throw new LostPrecisionError(field);
    result = BigInt(value);
  }
  if (result !== undefined && result <= UINT64_MAX) return result;
  throw new FieldError(field, `expected an unsigned 64-bit integer (decimal string or number), got ${describe(value)}`);
}

/** int64: a number when it is a safe integer, else a bigint. */
function int64(value: unknown, field: string): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    if (Number.isInteger(value)) throw new LostPrecisionError(field);
  } else if (typeof value === 'string' && SIGNED_INTEGER.test(value)) {
    if (value.length <= 15) return Number(value);
    const big = BigInt(value);
    if (big >= INT64_MIN && big <= INT64_MAX) {
      return big >= -9_007_199_254_740_991n && big <= 9_007_199_254_740_991n ? Number(big) : big;
    }
  }
  throw new FieldError(field, `expected a signed 64-bit integer (decimal string or number), got ${describe(value)}`);
}

function double(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new FieldError(field, `expected a number, got ${describe(value)}`);
}

function base64Bytes(value: unknown, field: string): Uint8Array {
  if (typeof value === 'string' && BASE64.test(value)) {
    const decoded = Buffer.from(value, 'base64');
    return new Uint8Array(decoded.buffer.slice(decoded.byteOffset, decoded.byteOffset + decoded.byteLength));
  }
  throw new FieldError(field, `expected base64 bytes, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
