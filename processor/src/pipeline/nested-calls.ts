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

  /** Records committed call spans (kept and nested alike), so later halves of a pair are recognised. */
  remember(rows: Iterable<Pick<LlmCall, 'trace_id' | 'span_id' | 'parent_span_id'>>): void {
    for (const row of rows) {
      touch(this.callSpans, key(row.trace_id, row.span_id), this.capacity);
      if (row.parent_span_id !== null) touch(this.callParents, key(row.trace_id, row.parent_span_id), this.capacity);
    }
  }
}

function key(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/** A Map keeps insertion order: re-inserting moves a key to the end, and the first key is the oldest. */
function touch(map: Map<string, true>, k: string, capacity: number): void {
  map.delete(k);
  map.set(k, true);
  if (map.size > capacity) map.delete(map.keys().next().value as string);
}
