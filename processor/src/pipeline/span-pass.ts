import type { DecodedTraces } from '../otlp/types.js';
import type { ExportContext } from './trace-sink.js';

/**
 * A pure step between decoding and the sink (caps, team binding, pseudonymization): it may rewrite spans and
 * move spans it refuses into `rejectedSpans` (OTLP partial success), keeping the first reason as the message.
 */
export type SpanPass = (traces: DecodedTraces, context: ExportContext) => DecodedTraces;

/** Drops the spans at the given indexes, counting them as rejected; the request's first reason is kept. */
export function rejectSpans(traces: DecodedTraces, reasons: ReadonlyMap<number, string>): DecodedTraces {
  if (reasons.size === 0) return traces;
  const first = reasons.values().next().value ?? '';
  return {
    spans: traces.spans.filter((_, index) => !reasons.has(index)),
    rejectedSpans: traces.rejectedSpans + reasons.size,
    rejectionMessage: traces.rejectionMessage === '' ? first : traces.rejectionMessage,
  };
}
