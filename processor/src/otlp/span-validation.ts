import type { DecodedSpan, DecodedTraces } from './types.js';

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Adds a decoded span to the result, or counts it as rejected with its location when it is invalid.
 * An all-zero parent span id means "no parent" (as in the Collector), so it is normalised to ''.
 */
export function collectSpan(out: DecodedTraces, span: DecodedSpan, resource: number, scope: number, index: number): void {
  if (span.parentSpanId === ZERO_SPAN_ID) span.parentSpanId = '';
  const problem = spanProblem(span);
  if (problem === undefined) {
    out.spans.push(span);
    return;
  }
  if (out.rejectedSpans === 0) {
    out.rejectionMessage = `resourceSpans[${resource}].scopeSpans[${scope}].spans[${index}].${problem}`;
  }
  out.rejectedSpans++;
}

/**
 * Why a decoded span cannot be accepted, as `field: reason`, or undefined when it is valid. These problems leave
 * the rest of the request usable, so they reject one span (OTLP partial success) instead of the request.
 */
export function spanProblem(span: DecodedSpan): string | undefined {
  const problem =
    idProblem('traceId', span.traceId, 16, ZERO_TRACE_ID, false) ??
    idProblem('spanId', span.spanId, 8, ZERO_SPAN_ID, false) ??
    idProblem('parentSpanId', span.parentSpanId, 8, '', true);
  if (problem !== undefined) return problem;
  if (span.endTimeUnixNano < span.startTimeUnixNano) {
    return `endTimeUnixNano: ${span.endTimeUnixNano} is before startTimeUnixNano ${span.startTimeUnixNano}`;
  }
  for (let i = 0; i < span.links.length; i++) {
    const link = span.links[i]!;
    const linkProblem =
      idProblem('traceId', link.traceId, 16, ZERO_TRACE_ID, false) ??
      idProblem('spanId', link.spanId, 8, ZERO_SPAN_ID, false);
    if (linkProblem !== undefined) return `links[${i}].${linkProblem}`;
  }
  return undefined;
}

function idProblem(field: string, hex: string, bytes: number, zero: string, optional: boolean): string | undefined {
  if (hex.length === bytes * 2) return hex === zero ? `${field}: must not be all zeros` : undefined;
  if (hex.length === 0) return optional ? undefined : `${field}: missing or empty`;
  return `${field}: must be ${bytes} bytes (${bytes * 2} hex characters), got ${hex.length / 2} bytes`;
}
