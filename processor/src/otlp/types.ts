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
}

/** A decoded export request. Spans that could not be accepted are counted, with the first reason. */
export interface DecodedTraces {
  spans: DecodedSpan[];
  rejectedSpans: number;
  rejectionMessage: string;
}
