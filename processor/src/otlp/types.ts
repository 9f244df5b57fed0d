/**
 * Decoded OTLP trace data, the same shape whichever wire format it came from (protobuf, JSON, gRPC).
 * Wire shapes stay in the decoders; everything downstream reads only these plain records.
 */

/** An OTLP AnyValue. int64 values become `number` when they fit 2^53 exactly, else `bigint`. */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** One span with its resource and scope resolved, ids as lowercase hex ('' when absent). */
export interface DecodedSpan {
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  statusCode: number;
  statusMessage: string;
  links: SpanLink[];
  /** The span as it arrived, set only when decoded with `keepWire` (forwarding re-sends it unchanged). */
  wire?: SpanWire;
}

export interface DecodeOptions {
  /**
   * Keep each span's wire form in `span.wire`: what the decoders do not read (events, trace state, flags,
   * dropped counts, scope attributes, schema URLs, unknown fields) and the exact int/double attribute types.
   */
  keepWire?: boolean;
}

export type SpanWire = ProtobufSpanWire | JsonSpanWire;

/** A protobuf-decoded span: its Span message is `scope.resource.body` bytes [start, end). */
export interface ProtobufSpanWire {
  readonly format: 'protobuf';
  readonly scope: ProtobufScopeWire;
  readonly start: number;
  readonly end: number;
}

/** One ScopeSpans of a protobuf request: the InstrumentationScope message bytes (null when absent). */
export interface ProtobufScopeWire {
  readonly resource: ProtobufResourceWire;
  scope: Uint8Array | null;
  schemaUrl: string;
}

/** One ResourceSpans of a protobuf request: the Resource message bytes (null when absent). */
export interface ProtobufResourceWire {
  /** The whole request body the byte ranges of its spans point into. */
  readonly body: Uint8Array;
  resource: Uint8Array | null;
  schemaUrl: string;
}

/** A JSON-decoded span: the parsed OTLP/JSON objects as received (not validated beyond what the decoder reads). */
export interface JsonSpanWire {
  readonly format: 'json';
  readonly scope: JsonScopeWire;
  readonly span: Readonly<Record<string, unknown>>;
}

export interface JsonScopeWire {
  readonly resource: JsonResourceWire;
  readonly scope: unknown;
  readonly schemaUrl: unknown;
}

export interface JsonResourceWire {
  readonly resource: unknown;
  readonly schemaUrl: unknown;
}

/** A decoded export request. Spans that could not be accepted are counted, with the first reason. */
export interface DecodedTraces {
  spans: DecodedSpan[];
  rejectedSpans: number;
  rejectionMessage: string;
}
