/**
 * The OTLP trace messages, written by hand from opentelemetry-proto (v1.x: collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto) and google/rpc/status.proto.
 * No npm package ships these for decoding. Field names are the OTLP/JSON (lowerCamelCase) names, so one table
 * serves the protobuf reader, the protobuf writer, the JSON codec and the error paths.
 *
 * Every field of each message is listed, including the ones the decoders skip, so that a known field arriving
 * with the wrong wire type is reported as invalid instead of being silently ignored as an unknown field.
 */

export const WireType = { VARINT: 0, I64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, I32: 5 } as const;
export type WireTypeValue = (typeof WireType)[keyof typeof WireType];

const { VARINT, I64, LEN, I32 } = WireType;

type FieldSpec = readonly [fieldNumber: number, wireType: WireTypeValue];

export interface MessageSchema<Name extends string> {
  /** Fully qualified protobuf name, for messages. */
  readonly type: string;
  /** The wire tag (field number << 3 | wire type) of each field. */
  readonly tag: Readonly<Record<Name, number>>;
  /** By field number: the field's JSON name and expected wire type; unknown numbers are absent. */
  readonly byNumber: ReadonlyMap<number, { name: string; wireType: WireTypeValue }>;
}

function message<const Fields extends Record<string, FieldSpec>>(
  type: string,
  fields: Fields,
): MessageSchema<Extract<keyof Fields, string>> {
  const tag = {} as Record<Extract<keyof Fields, string>, number>;
  const byNumber = new Map<number, { name: string; wireType: WireTypeValue }>();
  for (const name of Object.keys(fields) as Extract<keyof Fields, string>[]) {
    const [fieldNumber, wireType] = fields[name] as FieldSpec;
    tag[name] = (fieldNumber << 3) | wireType;
    byNumber.set(fieldNumber, { name, wireType });
  }
  return { type, tag, byNumber };
}

export const ExportTraceServiceRequest = message('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', {
  resourceSpans: [1, LEN],
});

export const ResourceSpans = message('opentelemetry.proto.trace.v1.ResourceSpans', {
  resource: [1, LEN],
  scopeSpans: [2, LEN],
  schemaUrl: [3, LEN],
  // 1000 is reserved (the removed instrumentation_library_spans); skipped as unknown.
});

export const Resource = message('opentelemetry.proto.resource.v1.Resource', {
  attributes: [1, LEN],
  droppedAttributesCount: [2, VARINT],
  entityRefs: [3, LEN],
});

export const ScopeSpans = message('opentelemetry.proto.trace.v1.ScopeSpans', {
  scope: [1, LEN],
  spans: [2, LEN],
  schemaUrl: [3, LEN],
});

export const InstrumentationScope = message('opentelemetry.proto.common.v1.InstrumentationScope', {
  name: [1, LEN],
  version: [2, LEN],
  attributes: [3, LEN],
  droppedAttributesCount: [4, VARINT],
});

export const Span = message('opentelemetry.proto.trace.v1.Span', {
  traceId: [1, LEN],
  spanId: [2, LEN],
  traceState: [3, LEN],
  parentSpanId: [4, LEN],
  name: [5, LEN],
  kind: [6, VARINT],
  startTimeUnixNano: [7, I64],
  endTimeUnixNano: [8, I64],
  attributes: [9, LEN],
  droppedAttributesCount: [10, VARINT],
  events: [11, LEN],
  droppedEventsCount: [12, VARINT],
  links: [13, LEN],
  droppedLinksCount: [14, VARINT],
  status: [15, LEN],
  flags: [16, I32],
});

export const SpanEvent = message('opentelemetry.proto.trace.v1.Span.Event', {
  timeUnixNano: [1, I64],
  name: [2, LEN],
  attributes: [3, LEN],
  droppedAttributesCount: [4, VARINT],
});

export const SpanLink = message('opentelemetry.proto.trace.v1.Span.Link', {
  traceId: [1, LEN],
  spanId: [2, LEN],
  traceState: [3, LEN],
  attributes: [4, LEN],
  droppedAttributesCount: [5, VARINT],
  flags: [6, I32],
});

export const Status = message('opentelemetry.proto.trace.v1.Status', {
  // 1 is reserved (the removed deprecated_code).
  message: [2, LEN],
  code: [3, VARINT],
});

export const KeyValue = message('opentelemetry.proto.common.v1.KeyValue', {
  key: [1, LEN],
  value: [2, LEN],
  // Profiling-only string-table reference; other signals must treat it as absent.
  keyStrindex: [3, VARINT],
});

export const AnyValue = message('opentelemetry.proto.common.v1.AnyValue', {
  stringValue: [1, LEN],
  boolValue: [2, VARINT],
  intValue: [3, VARINT],
  doubleValue: [4, I64],
  arrayValue: [5, LEN],
  kvlistValue: [6, LEN],
  bytesValue: [7, LEN],
  // Profiling-only string-table reference; other signals must treat it as absent.
  stringValueStrindex: [8, VARINT],
});

/** ArrayValue and KeyValueList share this shape: `repeated AnyValue|KeyValue values = 1`. */
export const ValueList = message('opentelemetry.proto.common.v1.ArrayValue', {
  values: [1, LEN],
});

/** ExportTraceServiceResponse, ExportLogsServiceResponse and ExportMetricsServiceResponse share this shape. */
export const ExportResponse = message('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', {
  partialSuccess: [1, LEN],
});

/** ExportTracePartialSuccess (rejected_spans), ExportLogsPartialSuccess, ExportMetricsPartialSuccess. */
export const ExportPartialSuccess = message('opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess', {
  rejected: [1, VARINT],
  errorMessage: [2, LEN],
});

export const RpcStatus = message('google.rpc.Status', {
  code: [1, VARINT],
  message: [2, LEN],
  details: [3, LEN],
});

export const ProtobufAny = message('google.protobuf.Any', {
  typeUrl: [1, LEN],
  value: [2, LEN],
});

export const RetryInfo = message('google.rpc.RetryInfo', {
  retryDelay: [1, LEN],
});

export const ProtobufDuration = message('google.protobuf.Duration', {
  seconds: [1, VARINT],
  nanos: [2, VARINT],
});

/** OTLP/JSON names of the partial-success counter of each signal's export response. */
export const rejectedFieldJsonName = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
} as const;

export type OtlpSignal = keyof typeof rejectedFieldJsonName;

/** google.rpc.Code values used by the receivers (and in HTTP google.rpc.Status bodies). */
export const RpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
