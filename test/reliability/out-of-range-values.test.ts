import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../processor/src/store/database.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { ledgerRefusingPoison, readLedger, scrapeMetrics, tempDir, writeConfig } from './support.js';

// A span can be valid OTLP and still carry numbers no ledger column holds: a token count past 2^53 (or 2^63), a
// cost of a billion dollars, a retry count past INTEGER. One such row would fail its group's INSERT on every retry
// (and, acknowledged from the journal, hold up every commit after it). The receiver rejects the span instead, by
// partial success, and the rest of the request and every later one is stored. Attributes too long for one staged
// row are left out of the stored `attributes` (counted there), the call kept.

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const intValue = (value: string) => ({ intValue: value });
const stringValue = (value: string) => ({ stringValue: value });
const doubleValue = (value: number) => ({ doubleValue: value });

function span(spanId: string, model: string, usage: Record<string, object>) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const attributes = { 'gen_ai.provider.name': stringValue('openai'), 'gen_ai.operation.name': stringValue('chat'), 'gen_ai.request.model': stringValue(model), ...usage };
  return {
    traceId,
    spanId,
    name: `chat ${model}`,
    kind: 3,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 300_000_000n),
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })),
  };
}

function request(spans: object[]): string {
  return JSON.stringify({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: stringValue('range-app') }] }, scopeSpans: [{ scope: { name: 'test' }, spans }] }],
  });
}

/** gpt-4.1 at list price ($2 / $8 per million): 1,000 in and 100 out cost $0.0028. */
const fits = (spanId: string) => span(spanId, 'gpt-4.1', { 'gen_ai.usage.input_tokens': intValue('1000'), 'gen_ai.usage.output_tokens': intValue('100') });
const outOfRange = [
  span('00000000000000b1', 'gpt-4.1', { 'gen_ai.usage.input_tokens': stringValue('99999999999999999999'), 'gen_ai.usage.output_tokens': intValue('10') }),
  span('00000000000000b2', 'gpt-4.1', { 'gen_ai.usage.input_tokens': intValue('10'), 'gen_ai.usage.output_tokens': intValue('9223372036854775807') }),
  // A count that fits, at a price that does not: 2e14 output tokens cost $1.6 billion.
  span('00000000000000b3', 'gpt-4.1', { 'gen_ai.usage.input_tokens': intValue('10'), 'gen_ai.usage.output_tokens': intValue('200000000000000') }),
  span('00000000000000b4', 'no-such-model', { 'gen_ai.usage.cost': doubleValue(2e9) }),
  span('00000000000000b5', 'gpt-4.1', { 'gen_ai.usage.input_tokens': intValue('10'), 'chargeback.attempts': intValue('3000000000') }),
];

/** Within the default caps (1,024 array entries of 8,192 characters): a CSV line of ~2.5 MB if stored whole. */
const bulky = {
  ...fits('00000000000000c1'),
  attributes: [
    ...fits('00000000000000c1').attributes,
    { key: 'http.route', value: stringValue('/api/search') },
    { key: 'tags', value: { arrayValue: { values: Array.from({ length: 300 }, (_, i) => stringValue(`${i}`.padEnd(8_192, 'x'))) } } },
  ],
};

let processor: ProcessorProcess | undefined;
afterEach(async () => {
  await processor?.stop('SIGKILL');
});

async function post(url: string, body: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, body: await response.json() };
}

describe('numbers past the ledger columns', () => {
  it.each(['commit', 'journal'])('are rejected by partial success, and the ledger goes on storing (storage.ack: %s)', async (ack) => {
    processor = await startProcessor({ args: ['--config', writeConfig(tempDir('gc-range-'), { storage: { ack } })] });

    const mixed = await post(processor.httpUrl, request([fits('00000000000000a1'), bulky, ...outOfRange]));
    expect(mixed.status).toBe(200);
    expect(mixed.body).toStrictEqual({
      partialSuccess: {
        rejectedSpans: '5',
        errorMessage: 'span 00000000000000b1: input_tokens 100000000000000000000 is past the largest exact count, 9007199254740991',
      },
    });
    const later = await post(processor.httpUrl, request([fits('00000000000000a2')]));
    expect(later).toStrictEqual({ status: 200, body: {} });

    const metrics = await scrapeMetrics(processor.httpUrl);
    expect(metrics.get('genai_chargeback_receiver_rejected_spans_total{receiver="otlp",transport="http"}')).toBe(5);
    expect(await processor.stop('SIGTERM')).toBe(0);
    const ledger = await readLedger(processor.dbPath);
    expect([...ledger.ids].sort()).toStrictEqual([`${traceId}/00000000000000a1`, `${traceId}/00000000000000a2`, `${traceId}/00000000000000c1`]);
    expect(ledger.costNanos).toBe(8_400_000n);
    const db = await openDatabase(processor.dbPath, { readOnly: true });
    try {
      const stored = await db.connection.runAndReadAll(`SELECT attributes FROM llm_calls WHERE span_id = '00000000000000c1'`);
      expect(JSON.parse(String(stored.getRows()[0]?.[0]))).toStrictEqual({ 'http.route': '/api/search', 'chargeback.attributes_dropped': 1 });
    } finally {
      await db.close();
    }
  });

  it('a row DuckDB refuses past every ingest check is rejected alone, by partial success, and counted', async () => {
    processor = await startProcessor({ dbPath: await ledgerRefusingPoison() });
    const poisoned = { ...fits('00000000000000e2'), attributes: [...fits('00000000000000e2').attributes, { key: 'chargeback.team', value: stringValue('poison') }] };
    const mixed = await post(processor.httpUrl, request([fits('00000000000000e1'), poisoned, fits('00000000000000e3')]));
    expect(mixed.status).toBe(200);
    expect(mixed.body).toMatchObject({
      partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringMatching(/^span 00000000000000e2: the ledger refused it: Constraint Error: CHECK constraint failed on table llm_calls/) },
    });
    expect((await scrapeMetrics(processor.httpUrl)).get('genai_chargeback_calls_refused_total')).toBe(1);
    expect(processor.logs.filter((line) => line.msg === 'DuckDB refused rows over their data; their spans are rejected').map((line) => line['rows'])).toEqual([1]);
    expect(await processor.stop('SIGTERM')).toBe(0);
    expect([...(await readLedger(processor.dbPath)).ids].sort()).toStrictEqual([`${traceId}/00000000000000e1`, `${traceId}/00000000000000e3`]);
  });

  it('a trace whose calls fit the ledger and whose costs sum past a billion dollars gets its action at a restart', async () => {
    processor = await startProcessor();
    // Two reported costs of $600 million: each fits llm_calls' DECIMAL(18, 9); actions.cost_usd, DECIMAL(38, 9), holds their sum.
    const reported = (spanId: string) => span(spanId, 'no-such-model', { 'gen_ai.usage.cost': doubleValue(6e8) });
    expect(await post(processor.httpUrl, request([reported('00000000000000d1'), reported('00000000000000d2')]))).toStrictEqual({ status: 200, body: {} });
    // Killed before the roll-up wrote the trace: the next start recovers actions for calls left without one.
    await processor.stop('SIGKILL');
    processor = await startProcessor({ dbPath: processor.dbPath });
    expect(processor.logs.filter((line) => Number(line['level']) >= 50)).toEqual([]);
    expect((await post(processor.httpUrl, request([fits('00000000000000d3')]))).status).toBe(200);
    expect(await processor.stop('SIGTERM')).toBe(0);
    expect((await readLedger(processor.dbPath)).rows).toBe(3);
    const db = await openDatabase(processor.dbPath, { readOnly: true });
    try {
      const action = await db.connection.runAndReadAll(`SELECT calls, cost_usd::VARCHAR FROM actions WHERE trace_id = '${traceId}'`);
      expect(action.getRows()).toEqual([[3, '1200000000.002800000']]);
    } finally {
      await db.close();
    }
  });
});
