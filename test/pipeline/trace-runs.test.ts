import { afterEach, describe, expect, it } from 'vitest';
import type { StoredBatch } from '../../processor/src/pipeline/ingest.js';
import { traceRuns } from '../../processor/src/pipeline/trace-runs.js';
import { openLedger } from '../support/ledger-harness.js';
import { makeSpan } from '../support/spans.js';

const traceA = 'a'.repeat(32);
const traceB = 'b'.repeat(32);
const start = 1_763_800_000_000_000_000n;

describe('traceRuns', () => {
  it('groups consecutive spans of a trace, with their earliest start and first root', () => {
    const rootA = makeSpan({ traceId: traceA, parentSpanId: '', startTimeUnixNano: start + 5n });
    const laterRootA = makeSpan({ traceId: traceA, parentSpanId: '', startTimeUnixNano: start + 9n });
    const spans = [
      makeSpan({ traceId: traceA, parentSpanId: '1'.repeat(16), startTimeUnixNano: start + 7n }),
      rootA,
      makeSpan({ traceId: traceA, parentSpanId: '2'.repeat(16), startTimeUnixNano: start + 3n }),
      laterRootA,
      makeSpan({ traceId: traceB, parentSpanId: '3'.repeat(16), startTimeUnixNano: start + 1n }),
      makeSpan({ traceId: traceA, parentSpanId: '4'.repeat(16), startTimeUnixNano: start }),
    ];
    expect(traceRuns(spans)).toEqual([
      { traceId: traceA, spans: 4, minStartUnixNano: start + 3n, root: rootA },
      { traceId: traceB, spans: 1, minStartUnixNano: start + 1n, root: null },
      // A trace spread over the batch gives a run each time it comes back.
      { traceId: traceA, spans: 1, minStartUnixNano: start, root: null },
    ]);
  });

  it('gives no run for no spans', () => {
    expect(traceRuns([])).toEqual([]);
  });
});

describe('the batch later stages see', () => {
  const closes: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closes.splice(0)) await close();
  });

  async function storedBatch(needsSpans: boolean): Promise<StoredBatch> {
    const ledger = await openLedger();
    closes.push(() => ledger.close());
    const batches: StoredBatch[] = [];
    ledger.pipeline.addListener({ onStored: (batch) => batches.push(batch), needsSpans });
    const spans = [
      makeSpan({ traceId: traceA, attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'priced-a', 'gen_ai.usage.input_tokens': 10 } }),
      makeSpan({ traceId: traceA, parentSpanId: '1'.repeat(16) }),
      makeSpan({ traceId: traceB, parentSpanId: '2'.repeat(16) }),
    ];
    await ledger.pipeline.export({ spans, rejectedSpans: 0, rejectionMessage: '' }, { transport: 'http', requestId: 't' });
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch!.traceRuns.map((run) => [run.traceId, run.spans, run.root === spans[0]])).toEqual([
      [traceA, 2, true],
      [traceB, 1, false],
    ]);
    expect(batch!.inserted.map((call) => call.input_tokens)).toEqual([10]);
    return batch!;
  }

  it('holds the spans themselves only when a stage reads them', async () => {
    expect((await storedBatch(false)).spans).toBeNull();
    expect((await storedBatch(true)).spans?.map((span) => span.traceId)).toEqual([traceA, traceA, traceB]);
  });
});
