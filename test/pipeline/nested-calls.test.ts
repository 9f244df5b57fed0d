import { describe, expect, it } from 'vitest';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import { llmCallRow } from '../support/llm-call-row.js';

const trace = (n: number) => n.toString(16).padStart(32, '0');
const span = (n: number) => n.toString(16).padStart(16, '0');
const row = (traceId: string, spanId: string, parent: string | null = null): LlmCall =>
  llmCallRow(new Date(0), { trace_id: traceId, span_id: spanId, parent_span_id: parent });

describe('nested call filter', () => {
  it('recognises either half of a pair in a trace of many calls, each in its own group', () => {
    const filter = new NestedCallFilter();
    const t = trace(1);
    // 40 calls of one trace first (past the short list a trace starts with), then the pair around call 30.
    expect(filter.admit(Array.from({ length: 40 }, (_, i) => row(t, span(i + 1), span(1000)))).nested.every((nested) => !nested)).toBe(true);
    expect(filter.admit([row(t, span(500), span(30))]).nested).toEqual([true]);
    // The outer span of call 35's pair arrives after its inner one was stored.
    expect(filter.admit([row(t, span(600), span(2000))]).nested).toEqual([false]);
    expect(filter.admit([row(t, span(2000), span(1000))]).nested).toEqual([true]);
    // The same ids in another trace are another call.
    expect(filter.admit([row(trace(2), span(501), span(30))]).nested).toEqual([false]);
  });

  it('keeps the outer span when both halves come in one group', () => {
    const t = trace(3);
    const admitted = new NestedCallFilter().admit([row(t, span(2), span(1)), row(t, span(1), span(9))]);
    expect(admitted.nested).toEqual([true, false]);
  });

  it('forgets the oldest traces past its capacity, and takes back a failed group with forget', () => {
    const filter = new NestedCallFilter(10);
    for (let n = 1; n <= 6; n++) filter.admit([row(trace(n), span(1)), row(trace(n), span(2))]);
    // 12 calls over a capacity of 10: the oldest traces went until 9 were left (the first two traces).
    expect(filter.admit([row(trace(1), span(3), span(1))]).nested).toEqual([false]);
    expect(filter.admit([row(trace(2), span(3), span(1))]).nested).toEqual([false]);
    expect(filter.admit([row(trace(6), span(3), span(1))]).nested).toEqual([true]);

    const failed = filter.admit([row(trace(7), span(1), span(9))]);
    expect(filter.admit([row(trace(7), span(9))]).nested).toEqual([true]);
    filter.forget(failed.remembered);
    expect(filter.admit([row(trace(7), span(9), null), row(trace(7), span(5), span(1))]).nested).toEqual([false, false]);
  });
});
