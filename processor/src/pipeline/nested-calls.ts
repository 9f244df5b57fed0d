import type { LlmCall } from '../ledger/llm-call.js';

/**
 * One model call can be reported by two usage-bearing spans, parent and child: an instrumentation's span
 * around the SDK's own span (REFERENCE.md: `@anthropic-ai/sdk` emits `anthropic.messages.create` whenever a
 * tracer provider is registered). Such a pair is one call. Inside one commit the outer span is kept; across
 * commits the first one stored wins and the later one is dropped, so the pair never counts twice.
 *
 * It remembers the most recent call spans (bounded): a nested span arriving later than that, or a pair
 * split across a restart beyond what `remember` loads, is outside what it can see.
 */
export class NestedCallFilter {
  private readonly callSpans = new Map<string, true>();
  private readonly callParents = new Map<string, true>();

  constructor(private readonly capacity = 100_000) {}

  /**
   * Marks the rows that are nested repeats of a call (to drop), then records every row's call span, so later
   * halves of a pair are recognised. Each row's `trace_id/span_id` key is built once, here, and handed back for
   * the writer's own bookkeeping: building and hashing the same strings five more times cost ~1 µs a call, a
   * third of this bookkeeping and ~3% of ingest's JavaScript time when every span is a call.
   */
  admit(rows: LlmCall[]): AdmittedCalls {
    const keys = rows.map((row) => key(row.trace_id, row.span_id));
    const parents = rows.map((row) => (row.parent_span_id === null ? null : key(row.trace_id, row.parent_span_id)));
    const inBatch = new Set(keys);
    // Every row is judged against what was recorded before this group: recording as it goes would make the outer
    // span of a pair in one group look like the parent of a stored call, and drop both.
    const nested = keys.map((span, i) => {
      const parent = parents[i] ?? null;
      const isChildOfCall = parent !== null && (inBatch.has(parent) || this.callSpans.has(parent));
      return isChildOfCall || this.callParents.has(span);
    });
    const remembered: RememberedCalls = { spans: [], parents: [] };
    keys.forEach((span, i) => this.record(span, parents[i] ?? null, remembered));
    return { keys, nested, remembered };
  }

  /** Records call spans read back from the ledger (at start-up), as `admit` records those it admits. */
  remember(rows: Iterable<Pick<LlmCall, 'trace_id' | 'span_id' | 'parent_span_id'>>): void {
    for (const row of rows) this.record(key(row.trace_id, row.span_id), row.parent_span_id === null ? null : key(row.trace_id, row.parent_span_id), null);
  }

  /** Notes what it added in `added`, so a commit that fails can take it back with `forget` (its rows come again). */
  private record(span: string, parent: string | null, added: RememberedCalls | null): void {
    if (touch(this.callSpans, span, this.capacity)) added?.spans.push(span);
    if (parent !== null && touch(this.callParents, parent, this.capacity)) added?.parents.push(parent);
  }

  forget(remembered: RememberedCalls): void {
    for (const k of remembered.spans) this.callSpans.delete(k);
    for (const k of remembered.parents) this.callParents.delete(k);
  }
}

/** One group of call rows as `admit` judged them, by index. */
export interface AdmittedCalls {
  /** `trace_id/span_id` of each row. */
  keys: string[];
  /** Whether each row repeats a call another span reports (dropped). */
  nested: boolean[];
  remembered: RememberedCalls;
}

export interface RememberedCalls {
  spans: string[];
  parents: string[];
}

function key(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/**
 * A Map keeps insertion order: re-inserting moves a key to the end, and the first keys are the oldest.
 * Past the capacity the oldest tenth goes in one pass (one iterator per eviction cost ~8% of ingest CPU).
 * Returns whether the key is new.
 */
function touch(map: Map<string, true>, k: string, capacity: number): boolean {
  const existed = map.delete(k);
  map.set(k, true);
  if (map.size > capacity) {
    let excess = map.size - capacity + Math.ceil(capacity / 10);
    for (const oldest of map.keys()) {
      if (excess-- <= 0) break;
      map.delete(oldest);
    }
  }
  return !existed;
}
