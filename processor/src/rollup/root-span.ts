import { resolveAttribution, type CompiledRule } from '../attribution/resolve-attribution.js';
import { teamRefused } from '../auth/team-binding.js';
import { readString } from '../normalize/read-attribute.js';
import type { DecodedSpan } from '../otlp/types.js';
import type { TraceRoot } from './trace-buffer.js';

const nanosPerMilli = 1_000_000n;

/** A span with no parent is its trace's root: it names the action and carries the originating request. */
export function toTraceRoot(span: DecodedSpan, rules: CompiledRule[]): TraceRoot | null {
  if (span.parentSpanId !== '') return null;
  const attribution = resolveAttribution(span.attributes, span.resource, rules);
  // The ingest token's team binding refused the team this span claimed: no rule may give it back.
  if (teamRefused(span)) attribution.team = null;
  return {
    rootSpanName: span.name,
    serviceName: readString(span.resource, 'service.name'),
    ...attribution,
    startMs: Number(span.startTimeUnixNano / nanosPerMilli),
    endMs: Number(span.endTimeUnixNano / nanosPerMilli),
    originTraceId: span.links.find((link) => link.traceId !== span.traceId)?.traceId ?? null,
  };
}
