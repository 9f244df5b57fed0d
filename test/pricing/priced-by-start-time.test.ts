import { afterEach, describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../processor/src/pipeline/ingest.js';
import { loadPriceBook, priceCall } from '../../processor/src/pricing/index.js';
import { openLedger } from '../support/ledger-harness.js';
import { makeSpan } from '../support/spans.js';

// The ledger prices a call by when it started, not when it arrived: o3's list price fell from $10 / $40 to $2 / $8
// per million tokens on 2025-06-10, and calls delivered today from either side of that midnight keep their price.

const ledgers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const ledger of ledgers.splice(0)) await ledger.close();
});

function o3Call(spanId: string, startIso: string) {
  const start = BigInt(Date.parse(startIso)) * 1_000_000n;
  return makeSpan({
    spanId,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 2_000_000_000n,
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'o3',
      'gen_ai.response.model': 'o3-2025-04-16',
      'gen_ai.usage.input_tokens': 1_000_000,
      'gen_ai.usage.output_tokens': 1_000_000,
    },
  });
}

describe('pricing by call start time, end to end through the pipeline', () => {
  it('prices each call at the list price in force when it started, whatever the delivery time', async () => {
    const ledger = await openLedger();
    ledgers.push(ledger);
    const book = await loadPriceBook([]);
    const pipeline = new IngestPipeline({ writer: ledger.writer, priceCall: (request) => priceCall(book, request), rules: [], logger: ledger.logger });
    const spans = [o3Call('00000000000000c1', '2025-06-09T23:59:59.000Z'), o3Call('00000000000000c2', '2025-06-10T00:00:00.000Z')];
    await pipeline.export({ spans, rejectedSpans: 0, rejectionMessage: '' }, { transport: 'http', requestId: 'start-time' });

    expect(await ledger.query('SELECT span_id, start_time::VARCHAR AS start, cost_usd::VARCHAR AS cost, price_id FROM llm_calls ORDER BY span_id')).toStrictEqual([
      { span_id: '00000000000000c1', start: '2025-06-09 23:59:59', cost: '50.000000000', price_id: 'openai/o3@2025-04-16#builtin-2026-11-24.2' },
      { span_id: '00000000000000c2', start: '2025-06-10 00:00:00', cost: '10.000000000', price_id: 'openai/o3@2025-06-10#builtin-2026-11-24.2' },
    ]);
  });
});
