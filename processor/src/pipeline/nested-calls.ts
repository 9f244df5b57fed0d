import type { LlmCall } from '../ledger/llm-call.js';

/**
 * One model call can be reported by two usage-bearing spans, parent and child: an instrumentation's span
 * around the SDK's own span (REFERENCE.md: `@anthropic-ai/sdk` emits `anthropic.messages.create` whenever a
 * tracer provider is registered). Such a pair is one call. Inside one commit the outer span is kept; across
 * commits the first one stored wins and the later one is dropped, so the pair never counts twice.
 *
 * It remembers the most recent call spans (bounded): a nested span arriving later than that, or a pair
 * split across a restart beyond what `warm` loads, is outside what it can see.
 */
export class NestedCallFilter {
  private readonly callSpans = new Map<string, true>();
  private readonly callParents = new Map<string, true>();

  constructor(private readonly capacity = 100_000) {}

  /** Splits rows into the calls to store and the nested repeats of a call to drop. Does not change state. */
  select(rows: LlmCall[]): { kept: LlmCall[]; nested: LlmCall[] } {
    const inBatch = new Set(rows.map((row) => key(row.trace_id, row.span_id)));
    const kept: LlmCall[] = [];
    const nested: LlmCall[] = [];
    for (const row of rows) {
      const parent = row.parent_span_id === null ? null : key(row.trace_id, row.parent_span_id);
      const isChildOfCall = parent !== null && (inBatch.has(parent) || this.callSpans.has(parent));
      const isParentOfStoredCall = this.callParents.has(key(row.trace_id, row.span_id));
      (isChildOfCall || isParentOfStoredCall ? nested : kept).push(row);
    }
    return { kept, nested };
  }

  /**
   * Records call spans (kept and nested alike), so later halves of a pair are recognised. Returns what it
   * added, so a commit that fails can take it back with `forget` (its rows will come again in a retry).
   */
  remember(rows: Iterable<Pick<LlmCall, 'trace_id' | 'span_id' | 'parent_span_id'>>): RememberedCalls {
    const added: RememberedCalls = { spans: [], parents: [] };
    for (const row of rows) {
      const span = key(row.trace_id, row.span_id);
      if (touch(this.callSpans, span, this.capacity)) added.spans.push(span);
      if (row.parent_span_id === null) continue;
      const parent = key(row.trace_id, row.parent_span_id);
      if (touch(this.callParents, parent, this.capacity)) added.parents.push(parent);
    }
    return added;
  }

  forget(remembered: RememberedCalls): void {
    for (const k of remembered.spans) this.callSpans.delete(k);
    for (const k of remembered.parents) this.callParents.delete(k);
  }
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
