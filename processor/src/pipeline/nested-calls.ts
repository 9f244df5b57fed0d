import type { LlmCall } from '../ledger/llm-call.js';

/**
 * One model call can be reported by two usage-bearing spans, parent and child: an instrumentation's span
 * around the SDK's own span (REFERENCE.md: `@anthropic-ai/sdk` emits `anthropic.messages.create` whenever a
 * tracer provider is registered). Such a pair is one call. Inside one commit the outer span is kept; across
 * commits the first one stored wins and the later one is dropped, so the pair never counts twice.
 *
 * It remembers the call spans of the most recent traces (bounded): a nested span arriving later than that, or a
 * pair split across a restart beyond what `remember` loads, is outside what it can see.
 *
 * Kept by trace, with the span ids as the rows carry them: keyed by `trace_id/span_id` strings instead, every call
 * built and hashed two 49-character keys in maps of 100,000 (1.45 µs a call, ~7% of ingest's JavaScript time when
 * every span is a call), and kept four string objects a call for the garbage collector to mark.
 */
export class NestedCallFilter {
  /** In the order traces were last admitted: the first are the oldest. */
  private readonly traces = new Map<string, TraceCalls>();
  private calls = 0;

  /** `capacity`: calls remembered; past it the oldest traces go. */
  constructor(private readonly capacity = 100_000) {}

  /**
   * Marks the rows that are nested repeats of a call (to drop), then records every row's call span, so later
   * halves of a pair are recognised.
   */
  admit(rows: LlmCall[]): AdmittedCalls {
    const inBatch = new Map<string, SpanIds>();
    for (const row of rows) inBatch.set(row.trace_id, withId(inBatch.get(row.trace_id) ?? [], row.span_id));
    // Every row is judged against what was recorded before this group: recording as it goes would make the outer
    // span of a pair in one group look like the parent of a stored call, and drop both.
    const nested = rows.map((row) => {
      const known = this.traces.get(row.trace_id);
      const parent = row.parent_span_id;
      const isChildOfCall = parent !== null && (hasId(inBatch.get(row.trace_id), parent) || hasId(known?.spans, parent));
      return isChildOfCall || hasId(known?.parents, row.span_id);
    });
    // The batch's traces become the newest.
    for (const traceId of inBatch.keys()) {
      const known = this.traces.get(traceId);
      if (known === undefined) continue;
      this.traces.delete(traceId);
      this.traces.set(traceId, known);
    }
    const remembered: RememberedCalls = [];
    for (const row of rows) this.record(row, remembered);
    this.evict();
    return { nested, remembered };
  }

  /** Records call spans read back from the ledger (at start-up), as `admit` records those it admits. */
  remember(rows: Iterable<Pick<LlmCall, 'trace_id' | 'span_id' | 'parent_span_id'>>): void {
    for (const row of rows) this.record(row, null);
    this.evict();
  }

  /** Takes back what `admit` recorded, for a commit that failed (its rows come again). */
  forget(remembered: RememberedCalls): void {
    for (const { traceId, spanId, parentSpanId } of remembered) {
      const calls = this.traces.get(traceId);
      if (calls === undefined) continue;
      // Evicted and seen again since, a trace may no longer hold what this admit added.
      if (spanId !== null && hasId(calls.spans, spanId)) {
        calls.spans = withoutId(calls.spans, spanId);
        this.calls -= 1;
      }
      if (parentSpanId !== null) calls.parents = withoutId(calls.parents, parentSpanId);
      if (countIds(calls.spans) === 0 && countIds(calls.parents) === 0) this.traces.delete(traceId);
    }
  }

  /** Notes what it added in `added`, so a commit that fails can take it back with `forget`. */
  private record(row: Pick<LlmCall, 'trace_id' | 'span_id' | 'parent_span_id'>, added: RememberedCalls | null): void {
    const calls = traceCalls(this.traces, row.trace_id);
    const newSpan = !hasId(calls.spans, row.span_id);
    if (newSpan) {
      calls.spans = withId(calls.spans, row.span_id);
      this.calls += 1;
    }
    const parent = row.parent_span_id;
    const newParent = parent !== null && !hasId(calls.parents, parent);
    if (newParent) calls.parents = withId(calls.parents, parent);
    if (added !== null && (newSpan || newParent)) added.push({ traceId: row.trace_id, spanId: newSpan ? row.span_id : null, parentSpanId: newParent ? parent : null });
  }

  /** Past the capacity the oldest tenth goes in one pass (one iterator per eviction cost ~8% of ingest CPU). */
  private evict(): void {
    if (this.calls <= this.capacity) return;
    const target = this.capacity - Math.ceil(this.capacity / 10);
    for (const [traceId, calls] of this.traces) {
      if (this.calls <= target) break;
      this.traces.delete(traceId);
      this.calls -= countIds(calls.spans);
    }
  }
}

/** The call spans of one trace, and the parents of those spans. */
interface TraceCalls {
  spans: SpanIds;
  parents: SpanIds;
}

function traceCalls(traces: Map<string, TraceCalls>, traceId: string): TraceCalls {
  let calls = traces.get(traceId);
  if (calls === undefined) traces.set(traceId, (calls = { spans: [], parents: [] }));
  return calls;
}

/**
 * Span ids: an array while there are few, as in most traces (a Set for each of a trace's one or two calls made this
 * no faster than the string keys when 1 span in 10 is a call), a Set past that, so a trace of thousands of calls
 * stays linear.
 */
type SpanIds = string[] | Set<string>;
const spanIdsListedUpTo = 16;

function hasId(ids: SpanIds | undefined, id: string): boolean {
  if (ids === undefined) return false;
  return Array.isArray(ids) ? ids.includes(id) : ids.has(id);
}

/** The ids with `id` added: the same object, or a Set replacing a full array. */
function withId(ids: SpanIds, id: string): SpanIds {
  if (!Array.isArray(ids)) return ids.add(id);
  ids.push(id);
  return ids.length > spanIdsListedUpTo ? new Set(ids) : ids;
}

function withoutId(ids: SpanIds, id: string): SpanIds {
  if (!Array.isArray(ids)) {
    ids.delete(id);
    return ids;
  }
  return ids.filter((other) => other !== id);
}

function countIds(ids: SpanIds): number {
  return Array.isArray(ids) ? ids.length : ids.size;
}

/** One group of call rows as `admit` judged them, by index. */
export interface AdmittedCalls {
  /** Whether each row repeats a call another span reports (dropped). */
  nested: boolean[];
  remembered: RememberedCalls;
}

/** What one `admit` added (null where it was known already). */
export type RememberedCalls = Array<{ traceId: string; spanId: string | null; parentSpanId: string | null }>;
