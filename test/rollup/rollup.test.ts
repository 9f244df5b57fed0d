import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../processor/src/config/load-config.js';
import { decodeTracesJson } from '../../processor/src/otlp/decode-json.js';
import type { DecodedSpan } from '../../processor/src/otlp/types.js';
import { ActionStore } from '../../processor/src/rollup/action-store.js';
import { RollupStage } from '../../processor/src/rollup/rollup-stage.js';
import { TraceBuffer } from '../../processor/src/rollup/trace-buffer.js';
import { queriesDir } from '../../processor/src/store/database.js';
import { openLedger } from '../support/ledger-harness.js';
import { makeSpan } from '../support/spans.js';

type Ledger = Awaited<ReturnType<typeof openLedger>>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `clockMs`: the roll-up's clock when it starts (default 10 s after the spans below start). */
async function setup(options: { maxTraces?: number; path?: string; chunkTraces?: number; clockMs?: number } = {}) {
  const ledger = await openLedger(options.path);
  const store = await ActionStore.open(ledger.db.instance, options);
  let clock = options.clockMs ?? 1_763_800_010_000;
  const buffer = new TraceBuffer({ waitMs: 5_000, maxAgeMs: 60_000, maxTraces: options.maxTraces ?? 1000, maxBytes: 64 << 20 }, clock);
  const stage = new RollupStage(buffer, store, ledger.rules, ledger.logger, () => clock);
  ledger.pipeline.addListener(stage);
  cleanups.push(async () => {
    store.close();
    await ledger.close();
  });
  return {
    ledger,
    store,
    stage,
    advance: (ms: number) => {
      clock += ms;
    },
    send: (spans: DecodedSpan[]) => ledger.pipeline.export({ spans, rejectedSpans: 0, rejectionMessage: '' }, { transport: 'http', requestId: 't' }),
  };
}

const trace = (n: number) => n.toString(16).padStart(32, '0');
const start = 1_763_800_000_000_000_000n;

function call(traceId: string, spanId: string, parent: string, model: string, input: number, output: number, extra: Record<string, string | number> = {}, status = 0) {
  return makeSpan({
    traceId,
    spanId,
    parentSpanId: parent,
    resource: { 'service.name': 'search-backend' },
    startTimeUnixNano: start + BigInt(Number.parseInt(spanId, 16)) * 1_000_000n,
    statusCode: status,
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      ...extra,
    },
  });
}

function root(traceId: string, name: string, attributes: Record<string, string> = {}) {
  return makeSpan({ traceId, spanId: 'f'.repeat(16), name, kind: 2, resource: { 'service.name': 'search-api' }, startTimeUnixNano: start, endTimeUnixNano: start + 2_000_000_000n, attributes });
}

async function actions(ledger: Ledger) {
  return ledger.query(`SELECT trace_id, action, root_span_name, service_name, team, calls, failed_calls, unpriced_calls,
    input_tokens, output_tokens, cost_usd::VARCHAR AS cost, failed_cost_usd::VARCHAR AS failed_cost, models, complete
    FROM actions ORDER BY trace_id`);
}

describe('roll-up: one action per trace', () => {
  it('writes a multi-call trace once it is complete: root name, baggage attribution, sums, failed cost', async () => {
    const { ledger, stage, advance, send } = await setup();
    const t = trace(1);
    const baggage = { 'chargeback.team': 'search' };
    await send([call(t, '0000000000000001', 'f'.repeat(16), 'priced-embed', 1000, 0, baggage)]);
    await send([
      call(t, '0000000000000002', 'f'.repeat(16), 'priced-rerank', 2000, 10, baggage),
      call(t, '0000000000000003', 'f'.repeat(16), 'priced-chat', 5000, 700, { ...baggage, 'error.type': 'timeout' }, 2),
      makeSpan({ traceId: t, spanId: '00000000000000aa', parentSpanId: 'f'.repeat(16), name: 'GET /internal/search' }),
    ]);
    await stage.tick();
    expect(await actions(ledger)).toEqual([]); // no root yet
    await send([root(t, 'POST /api/search')]);
    advance(4_999);
    await stage.tick();
    expect(await actions(ledger)).toEqual([]); // not quiet long enough
    advance(1);
    await stage.tick();
    // cost = 8000 input × $2/M + 710 output × $8/M = 0.016 + 0.00568; the failed call: 0.01 + 0.0056
    expect(await actions(ledger)).toEqual([
      {
        trace_id: t,
        action: 'POST /api/search',
        root_span_name: 'POST /api/search',
        service_name: 'search-api',
        team: 'search',
        calls: 3,
        failed_calls: 1,
        unpriced_calls: 0,
        input_tokens: 8000n,
        output_tokens: 710n,
        cost: '0.021680000',
        failed_cost: '0.015600000',
        models: ['priced-chat', 'priced-embed', 'priced-rerank'],
        complete: true,
      },
    ]);
    expect(stage.counters).toMatchObject({ actionsWritten: 1, actionsIncomplete: 0, lateSpans: 0 });
  });

  it('counts each call once when a batch interleaves the spans of its traces', async () => {
    const { ledger, stage, advance, send } = await setup();
    const [a, b] = [trace(41), trace(42)];
    const parent = 'f'.repeat(16);
    await send([
      call(a, '0000000000000001', parent, 'priced-chat', 1000, 10),
      call(b, '0000000000000001', parent, 'priced-chat', 2000, 20),
      call(a, '0000000000000002', parent, 'priced-embed', 3000, 0),
      root(b, 'POST /b'),
      call(b, '0000000000000003', parent, 'priced-chat', 4000, 40),
      root(a, 'POST /a'),
    ]);
    advance(5_000);
    await stage.tick();
    expect((await actions(ledger)).map((row) => [row.trace_id, row.action, row.calls, row.input_tokens, row.output_tokens, row.cost])).toEqual([
      // a: 4,000 in × $2/M + 10 out × $8/M; b: 6,000 in × $2/M + 60 out × $8/M
      [a, 'POST /a', 2, 4000n, 10n, '0.008080000'],
      [b, 'POST /b', 2, 6000n, 60n, '0.012480000'],
    ]);
    expect(stage.counters).toMatchObject({ actionsWritten: 2, actionsIncomplete: 0 });
  });

  it('computes live rows from the calls it saw, equal column for column to what rebuild-actions reads from the ledger', async () => {
    const { ledger, stage, store, advance, send } = await setup();
    const at = (traceId: string, spanId: string, offsetMs: number, attributes: Record<string, string | number>, status = 0) =>
      makeSpan({
        traceId,
        spanId,
        parentSpanId: 'f'.repeat(16),
        resource: { 'service.name': 'search-backend' },
        startTimeUnixNano: start + BigInt(offsetMs) * 1_000_000n,
        endTimeUnixNano: start + BigInt(offsetMs + 700) * 1_000_000n,
        statusCode: status,
        attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 100, ...attributes },
      });
    const [a, b, c] = [trace(31), trace(32), trace(33)];
    // a: a root naming the action; three calls over two batches, two of them starting in the same millisecond
    // with different features (the lower span id wins, though it arrives second), one failed, one unpriced.
    await send([
      root(a, 'POST /api/ask', { 'chargeback.action': 'ask', 'chargeback.team': 'search' }),
      at(a, '0000000000000009', 10, { 'gen_ai.request.model': 'priced-chat', 'gen_ai.usage.output_tokens': 30, 'chargeback.feature': 'later-span' }),
    ]);
    await send([
      at(a, '0000000000000002', 10, { 'gen_ai.request.model': 'priced-chat', 'gen_ai.usage.output_tokens': 5, 'chargeback.feature': 'lower-span', 'error.type': 'timeout' }, 2),
      at(a, '0000000000000003', 2_500, { 'gen_ai.request.model': 'house-model', 'gen_ai.usage.cache_read.input_tokens': 40 }),
    ]);
    // b: no root (written after max age, incomplete); attribution from the earliest call that has each key; models
    // ordered as DuckDB orders text (UTF-8 bytes: U+FF5A before U+1D4B3, the other way round in UTF-16).
    await send([
      at(b, '0000000000000001', 0, { 'gen_ai.request.model': 'priced-𝒳' }),
      at(b, '0000000000000002', 5, { 'gen_ai.request.model': 'priced-ｚ', 'chargeback.team': 'growth', 'chargeback.action': 'nightly', 'user.id': 'u-1' }),
      at(b, '0000000000000003', 9, { 'gen_ai.request.model': 'priced-ｚ', 'chargeback.team': 'ads', 'gen_ai.response.model': 'priced-ｚ-2026' }),
    ]);
    // c: only unpriced calls, so its cost is NULL, not 0; its earlier call arrives second and gives the team.
    await send([root(c, 'GET /x'), at(c, '0000000000000001', 50, { 'gen_ai.request.model': 'house-model', 'chargeback.feature': 'second' })]);
    await send([at(c, '0000000000000002', 1, { 'gen_ai.request.model': 'house-model', 'chargeback.feature': 'first' })]);
    advance(5_000);
    await stage.tick();
    advance(60_000);
    await stage.tick();
    const all = 'SELECT * EXCLUDE (updated_at, cost_usd, failed_cost_usd), cost_usd::VARCHAR AS cost_usd, failed_cost_usd::VARCHAR AS failed_cost_usd FROM actions ORDER BY trace_id';
    const live = await ledger.query(all);
    expect(stage.counters).toMatchObject({ actionsWritten: 3, actionsReadBack: 0 });
    expect(live.map((row) => [row.action, row.team, row.feature, row.user_id, row.calls, row.failed_calls, row.unpriced_calls, row.cost_usd, row.failed_cost_usd, row.models, row.complete])).toEqual([
      // 300 in × $2/M + 35 out × $8/M; the failed call: 100 × $2/M + 5 × $8/M
      ['ask', 'search', 'lower-span', null, 3, 1, 1, '0.000680000', '0.000240000', ['house-model', 'priced-chat'], true],
      ['nightly', 'growth', null, 'u-1', 3, 0, 0, '0.000600000', '0.000000000', ['priced-ｚ', 'priced-ｚ-2026', 'priced-𝒳'], false],
      ['GET /x', null, 'first', null, 2, 0, 2, null, '0.000000000', ['house-model'], true],
    ]);
    expect(live.map((row) => [row.input_tokens, row.output_tokens, row.cache_read_tokens, row.reasoning_tokens])).toEqual([
      [300n, 35n, 40n, null],
      [300n, null, null, null],
      [200n, null, null, null],
    ]);
    expect(await store.rebuild(null)).toBe(3);
    expect(await ledger.query(all)).toEqual(live);
  });

  it('names the action by chargeback.action, updates the row for a late span, and never writes a trace without calls', async () => {
    const { ledger, stage, advance, send } = await setup();
    const t = trace(2);
    await send([root(t, 'POST /api/chat', { 'chargeback.action': 'support.answer' }), call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    await send([root(trace(3), 'GET /health')]);
    advance(5_000);
    await stage.tick();
    await send([call(t, '0000000000000002', 'f'.repeat(16), 'unknown-model', 50, 5)]);
    advance(5_000);
    await stage.tick();
    const rows = await actions(ledger);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'support.answer', calls: 2, unpriced_calls: 1, cost: '0.000280000', complete: true });
    expect(stage.counters).toMatchObject({ actionsWritten: 1, lateUpdates: 1, lateSpans: 1, actionsReadBack: 1 });
  });

  it('writes a burst of traces completing together in parts, every one once', async () => {
    const { ledger, stage, advance, send } = await setup({ maxTraces: 5_000 });
    const burst = Array.from({ length: 2_500 }, (_, i) => [root(trace(1_000 + i), 'POST /batch'), call(trace(1_000 + i), '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    await send(burst.flat());
    advance(5_000);
    await stage.tick();
    expect(await ledger.query('SELECT count(*)::INTEGER AS n, count(DISTINCT trace_id)::INTEGER AS traces, sum(cost_usd)::VARCHAR AS cost FROM actions')).toEqual([
      // 2,500 × (100 × $2/M + 10 × $8/M)
      { n: 2_500, traces: 2_500, cost: '0.700000000' },
    ]);
    expect(stage.counters).toMatchObject({ actionsWritten: 2_500, actionsReadBack: 0 });
  });

  it('reads a trace back from the ledger when a call arrives again (a client retry): each call counted once', async () => {
    const { ledger, stage, advance, send } = await setup();
    const t = trace(13);
    const first = call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10);
    await send([root(t, 'POST /api/chat'), first]);
    await send([first, call(t, '0000000000000002', 'f'.repeat(16), 'priced-chat', 200, 20)]);
    advance(5_000);
    await stage.tick();
    expect((await actions(ledger)).map((a) => [a.calls, a.input_tokens, a.cost])).toEqual([[2, 300n, '0.000840000']]);
    expect(stage.counters).toMatchObject({ actionsWritten: 1, actionsReadBack: 1 });
  });

  it('keeps root text and times exactly through the JSON rows it stages', async () => {
    const { ledger, stage, advance, send } = await setup();
    const t = trace(9);
    const nasty = 'POST /api/"quoted", back\\slash, comma,\nnew line, ünïcødé 漢字 🚀';
    const team = "o'brien \"team\" ,";
    await send([root(t, nasty, { 'chargeback.team': team }), call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    advance(5_000);
    await stage.tick();
    expect(await ledger.query(`SELECT root_span_name, team, epoch_ms(start_time) AS start_ms, epoch_ms(end_time) AS end_ms, complete FROM trace_roots`)).toEqual([
      { root_span_name: nasty, team, start_ms: 1_763_800_000_000n, end_ms: 1_763_800_002_000n, complete: true },
    ]);
    expect(await actions(ledger)).toMatchObject([{ action: nasty, team, calls: 1 }]);
  });

  it('lists each of a trace\'s 2,000 distinct models once, as rebuild-actions does, and counts their bytes in the buffer', async () => {
    const { ledger, stage, store, advance, send } = await setup();
    const t = trace(70);
    const model = (i: number) => `model-${String(i % 2_000).padStart(4, '0')}`;
    await send([root(t, 'POST /api/fan-out')]);
    const bytesBefore = stage.bufferedBytes;
    // 3,000 calls over 2,000 models, in batches as a busy trace arrives.
    for (let batch = 0; batch < 3; batch++) {
      await send(Array.from({ length: 1_000 }, (_, k) => call(t, (batch * 1_000 + k + 1).toString(16).padStart(16, '0'), 'f'.repeat(16), model(batch * 1_000 + k), 10, 1)));
    }
    // Each new model name (10 characters) is counted: 2,000 × (20 + 48) bytes beyond the calls' totals.
    expect(stage.bufferedBytes - bytesBefore).toBeGreaterThanOrEqual(2_000 * 68);
    advance(5_000);
    await stage.tick();
    const live = await actions(ledger);
    expect(live).toMatchObject([{ calls: 3_000, models: Array.from({ length: 2_000 }, (_, i) => model(i)) }]);
    expect(await store.rebuild(null)).toBe(1);
    expect(await actions(ledger)).toEqual(live);
  });

  it('writes the action of an OTLP/JSON trace whose strings carry lone surrogates (\\ud800 escapes), as U+FFFD', async () => {
    const { ledger, stage, advance, send } = await setup();
    const t = trace(10);
    const value = (text: string) => ({ stringValue: text });
    const json = (spanId: string, parent: string, name: string, attributes: Record<string, string | number>) => ({
      traceId: t,
      spanId,
      parentSpanId: parent,
      name,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 1_000_000_000n),
      attributes: Object.entries(attributes).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : value(v) })),
    });
    // JSON.stringify writes a lone surrogate as the escape a client would send.
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: value('search-api') }] },
          scopeSpans: [
            {
              spans: [
                json('f'.repeat(16), '', 'POST /api/\ud800search', { 'chargeback.team': 'se\udc00arch' }),
                json('0000000000000001', 'f'.repeat(16), 'chat', { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'priced-chat', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10, 'chargeback.feature': '\ud83d' }),
              ],
            },
          ],
        },
      ],
    });
    expect(body).toContain('\\ud800');
    await send(decodeTracesJson(body).spans);
    advance(5_000);
    await stage.tick();
    expect(stage.counters.writeFailures).toBe(0);
    expect(await actions(ledger)).toMatchObject([{ action: 'POST /api/\ufffdsearch', team: 'se\ufffdarch', calls: 1, cost: '0.000280000' }]);
    expect(await ledger.query(`SELECT feature, json_valid(attributes) AS valid FROM llm_calls`)).toEqual([{ feature: '\ufffd', valid: true }]);
  });

  it('writes a trace whose calls, each under llm_calls\' billion dollars, sum past it', async () => {
    const { ledger, stage, advance, send } = await setup();
    // Each call fits llm_calls ($600 million at $2 per million input tokens); actions.cost_usd holds their sum.
    const t = trace(39);
    await send([
      root(t, 'POST /api/huge'),
      call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 300_000_000_000_000, 0),
      call(t, '0000000000000002', 'f'.repeat(16), 'priced-chat', 300_000_000_000_000, 0),
    ]);
    advance(5_000);
    await stage.tick();
    expect(await actions(ledger)).toMatchObject([{ trace_id: t, calls: 2, cost: '1200000000.000000000' }]);
    expect(stage.counters).toMatchObject({ writeFailures: 0, actionsDropped: 0 });
  });

  it('drops the traces whose action row DuckDB refuses over its data and writes the others, instead of retrying the batch forever', async () => {
    const { ledger, stage, advance, send } = await setup();
    // A constraint the data breaks stands in for whatever value a future DuckDB may refuse.
    const ddl = /CREATE TABLE IF NOT EXISTS actions \([\s\S]*?\n\);/.exec(readFileSync(`${queriesDir}schema.sql`, 'utf8'))?.[0] ?? '';
    await ledger.query('DROP TABLE actions');
    await ledger.query(ddl.replace('action              VARCHAR NOT NULL,', "action VARCHAR NOT NULL CHECK (action <> 'POST /api/refused'),"));
    const poisoned = Array.from({ length: 9 }, (_, i) => trace(40 + i));
    const fine = trace(60);
    await send([
      ...poisoned.flatMap((t, i) => [root(t, 'POST /api/refused'), call(t, (i + 1).toString(16).padStart(16, '0'), 'f'.repeat(16), 'priced-chat', 1000, 100)]),
      root(fine, 'POST /api/search'),
      call(fine, '00000000000000f0', 'f'.repeat(16), 'priced-chat', 1000, 100),
    ]);
    advance(5_000);
    await stage.tick();
    expect(await actions(ledger)).toMatchObject([{ trace_id: fine, calls: 1, cost: '0.002800000' }]);
    // The batch, then each poisoned trace alone.
    expect(stage.counters).toMatchObject({ writeFailures: 10, actionsDropped: 9 });
    expect(await ledger.query(`SELECT count(*) AS calls FROM llm_calls`)).toEqual([{ calls: 10n }]);

    const later = trace(61);
    await send([root(later, 'POST /api/search'), call(later, '00000000000000f1', 'f'.repeat(16), 'priced-chat', 1000, 100)]);
    advance(5_000);
    await stage.tick();
    expect((await actions(ledger)).map((row) => row.trace_id)).toEqual([fine, later]);
    expect(stage.counters).toMatchObject({ writeFailures: 10, actionsDropped: 9 });
  });

  it('drops nothing while DuckDB refuses every write for another reason: the batch waits for the next tick', async () => {
    const { ledger, stage, advance, send } = await setup();
    const traces = Array.from({ length: 10 }, (_, i) => trace(20 + i));
    await send(traces.flatMap((t, i) => [root(t, 'POST /api/search'), call(t, (i + 1).toString(16).padStart(16, '0'), 'f'.repeat(16), 'priced-chat', 1000, 100)]));
    advance(5_000);
    await ledger.query('ALTER TABLE actions RENAME TO actions_away');
    await stage.tick();
    // The batch, then its first trace alone: a missing table is not a fault of the trace's data.
    expect(stage.counters).toMatchObject({ writeFailures: 2, actionsDropped: 0, actionsWritten: 0 });
    await ledger.query('ALTER TABLE actions_away RENAME TO actions');
    await stage.tick();
    expect((await actions(ledger)).map((row) => row.trace_id)).toEqual(traces);
    expect(stage.counters).toMatchObject({ writeFailures: 2, actionsDropped: 0, actionsWritten: 10 });
  });

  it('replaces a trace written again (late call, root sent twice): one actions row and one trace_roots row, each call once', async () => {
    const { ledger, stage, store, advance, send } = await setup();
    const t = trace(12);
    await send([root(t, 'POST /api/chat'), call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    advance(5_000);
    await stage.tick();
    await send([root(t, 'POST /api/chat', { 'chargeback.action': 'support.answer' }), call(t, '0000000000000002', 'f'.repeat(16), 'priced-chat', 200, 20)]);
    advance(5_000);
    await stage.tick();
    expect(await ledger.query(`SELECT count(*)::INTEGER AS n, any_value(action) AS action FROM trace_roots`)).toEqual([{ n: 1, action: 'support.answer' }]);
    expect((await actions(ledger)).map((a) => [a.action, a.calls])).toEqual([['support.answer', 2]]);
    // The same trace queued three times in one write (late spans while its first write waited for a retry): the
    // latest root wins.
    const again = { rootSpanName: 'POST /api/chat', serviceName: 'search-api', startMs: 1_763_800_000_000, endMs: 1_763_800_002_000, originTraceId: null, team: 'support', project: null, feature: null, customer: null, user_id: null, environment: null, action: null };
    await store.write(
      [
        { traceId: t, root: again, complete: true, calls: null, existingRowStartsFromMs: -Infinity },
        { traceId: t, root: { ...again, team: 'growth' }, complete: true, calls: null, existingRowStartsFromMs: -Infinity },
        { traceId: t, root: null, complete: true, calls: null, existingRowStartsFromMs: -Infinity },
      ],
      1_763_800_000_000,
    );
    expect(await ledger.query(`SELECT count(*)::INTEGER AS n FROM trace_roots`)).toEqual([{ n: 1 }]);
    expect(await ledger.query(`SELECT team, action FROM trace_roots`)).toEqual([{ team: 'growth', action: null }]);
    const rows = await actions(ledger);
    // 300 input × $2/M + 30 output × $8/M
    expect(rows.map((a) => [a.trace_id, a.calls, a.input_tokens, a.cost, a.team])).toEqual([[t, 2, 300n, '0.000840000', 'growth']]);
  });

  it('searches a trace\'s existing action only among rows after its root (less clock skew) or its last write, not at all for a root after the roll-up started, all rows only without either', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gc-rollup-')), 'ledger.duckdb');
    const [t, skewed, late] = [trace(13), trace(15), trace(16)];
    const chat = (traceId: string, spanId: string, input: number) => call(traceId, spanId, 'f'.repeat(16), 'priced-chat', input, 10);
    const rows = async (ledger: Ledger) => (await actions(ledger)).map((a) => [a.trace_id, a.calls, a.input_tokens, a.cost]);
    const minute = 60_000;
    const startMs = Number(start / 1_000_000n);
    {
      // Started 6 minutes before the traces: their roots began over 5 minutes (the clock skew allowed) after it.
      const { ledger, stage, advance, send } = await setup({ path, clockMs: startMs - 6 * minute });
      advance(6 * minute + 10_000);
      await send([root(t, 'POST /api/chat'), chat(t, '0000000000000001', 100)]);
      await send([root(skewed, 'POST /api/chat'), chat(skewed, '0000000000000001', 10)]);
      await send([root(late, 'POST /api/chat'), chat(late, '0000000000000001', 50)]);
      advance(5_000);
      await stage.tick();
      // A late call: the roll-up remembers writing the trace, and from when its row starts.
      await send([chat(t, '0000000000000002', 200)]);
      advance(5_000);
      await stage.tick();
      expect(stage.counters.lateUpdates).toBe(1);
      expect(stage.counters.writesBySearch).toEqual({ none: 1, recent: 1, all: 0 });
      // 300 input × $2/M + 20 output × $8/M
      expect((await rows(ledger))[0]).toEqual([t, 2, 300n, '0.000760000']);
      await cleanups.pop()?.();
    }
    // Restarted a minute after the traces began, the roll-up remembers nothing it wrote.
    const { ledger, stage, advance, send } = await setup({ path, clockMs: startMs + minute });
    // The root sent again (a client retry) with a new call: it started before the restart, so the search is
    // needed, and its start bounds it.
    await send([root(t, 'POST /api/chat'), chat(t, '0000000000000003', 400)]);
    advance(5_000);
    await stage.tick();
    expect(stage.counters.writesBySearch).toEqual({ none: 0, recent: 1, all: 0 });
    // A late call without its root, for a trace written before the restart: nothing bounds where its row starts,
    // so every row is compared.
    await send([chat(late, '0000000000000002', 50)]);
    advance(60_000);
    await stage.tick();
    expect(stage.counters.writesBySearch).toEqual({ none: 0, recent: 1, all: 1 });
    // The documented limit: a root reported as starting more than the allowed skew after the restart, though its
    // trace was written before, is taken as new: the trace gets a second row.
    const tenMinutesLater = start + 10n * 60_000_000_000n;
    await send([makeSpan({ ...root(skewed, 'POST /api/chat'), startTimeUnixNano: tenMinutesLater, endTimeUnixNano: tenMinutesLater + 1n }), chat(skewed, '0000000000000002', 10)]);
    advance(5_000);
    await stage.tick();
    expect(stage.counters.writesBySearch).toEqual({ none: 1, recent: 1, all: 1 });
    expect(await rows(ledger)).toEqual([
      [t, 3, 700n, '0.001640000'],
      [skewed, 1, 10n, '0.000100000'],
      [skewed, 1, 10n, '0.000100000'],
      [late, 2, 100n, '0.000360000'],
    ]);
  });

  it('stamps updated_at in UTC, as every other time in the ledger, on a host in another time zone', async () => {
    const { ledger, stage, advance, send } = await setup();
    await ledger.query("SET GLOBAL TimeZone = 'America/New_York'");
    const t = trace(17);
    await send([root(t, 'POST /api/chat'), call(t, '0000000000000001', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    advance(5_000);
    await stage.tick();
    const offsetMs = async () => Number((await ledger.query('SELECT epoch_ms(updated_at) AS at FROM actions'))[0]?.at) - Date.now();
    // Rows from the calls the roll-up saw; New York is 4 or 5 hours from UTC.
    expect(Math.abs(await offsetMs())).toBeLessThan(60_000);
    await send([call(t, '0000000000000002', 'f'.repeat(16), 'priced-chat', 100, 10)]);
    advance(5_000);
    await stage.tick();
    // Rows read back from the ledger (a late call).
    expect(stage.counters.lateUpdates).toBe(1);
    expect(Math.abs(await offsetMs())).toBeLessThan(60_000);
  });

  it('remembers every write since it started until max_traces later writes push the oldest out', () => {
    const buffer = new TraceBuffer({ waitMs: 5_000, maxAgeMs: 60_000, maxTraces: 2, maxBytes: 64 << 20 }, 1_000);
    buffer.markWritten([trace(1)], 500, 2_000);
    buffer.markWritten([trace(2)], 600, 3_000);
    expect(buffer.writesRememberedFrom).toBe(1_000);
    buffer.markWritten([trace(1)], 700, 4_000);
    expect([buffer.writesRememberedFrom, buffer.writtenRowStartsFrom(trace(1))]).toEqual([1_000, 700]);
    buffer.markWritten([trace(3)], 800, 5_000);
    // trace 2, written at 3,000, is forgotten: a trace not remembered may have been written up to then.
    expect([buffer.writesRememberedFrom, buffer.writtenRowStartsFrom(trace(2)), buffer.writtenRowStartsFrom(trace(1))]).toEqual([3_001, undefined, 700]);
  });

  it('refuses a max_traces whose memory, allocated at start-up, would be unreasonable', () => {
    expect(parseConfig({ rollup: { max_traces: 10_000_000 } }, 'c.yaml').rollup.max_traces).toBe(10_000_000);
    expect(() => parseConfig({ rollup: { max_traces: 10_000_001 } }, 'c.yaml')).toThrow(/rollup\.max_traces: at most 10000000 \(the roll-up allocates about 50 bytes a trace at start-up\)/);
  });

  it('writes a trace without root after max age, incomplete, and the oldest trace when the buffer is full', async () => {
    const { ledger, stage, advance, send } = await setup({ maxTraces: 2 });
    await send([call(trace(4), '0000000000000001', 'f'.repeat(16), 'priced-a', 10, 1)]);
    await send([call(trace(5), '0000000000000001', 'f'.repeat(16), 'priced-a', 10, 1)]);
    await send([call(trace(6), '0000000000000001', 'f'.repeat(16), 'priced-a', 10, 1)]);
    await stage.tick();
    expect((await actions(ledger)).map((a) => [a.trace_id, a.action, a.complete])).toEqual([[trace(4), 'unknown', false]]);
    expect(stage.counters.tracesEvicted).toBe(1);
    expect(stage.tracesBuffered).toBe(2);
    advance(60_000);
    await stage.tick();
    expect((await actions(ledger)).map((a) => a.complete)).toEqual([false, false, false]);
  });

  it('recovers calls whose trace never got an action, and rebuild-actions reproduces the live rows', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gc-rollup-')), 'ledger.duckdb');
    {
      const { stage, advance, send } = await setup({ path });
      await send([
        root(trace(7), 'POST /a'),
        call(trace(7), '0000000000000001', 'f'.repeat(16), 'priced-a', 100, 20),
        call(trace(7), '00000000000000a0', 'f'.repeat(16), 'priced-a', 1000, 100),
      ]);
      advance(5_000);
      await stage.tick();
      await send([call(trace(8), '0000000000000001', 'f'.repeat(16), 'priced-b', 300, 40)]); // "crash" before it completes
      await cleanups.pop()?.();
    }
    // One trace per chunk: each chunk's scan must still reach all of its trace's calls, trace 7's last one
    // starting 160.4 ms in (the service stores milliseconds; other writers of the ledger need not).
    const { ledger, store } = await setup({ path, chunkTraces: 1 });
    await ledger.query(`UPDATE llm_calls SET start_time = start_time + INTERVAL 400 MICROSECONDS WHERE span_id = '00000000000000a0'`);
    expect(await store.recoverMissing()).toBe(1);
    const live = await actions(ledger);
    expect(live.map((a) => [a.action, a.complete, a.calls, a.cost])).toEqual([
      ['POST /a', true, 2, '0.003160000'],
      ['unknown', false, 1, '0.000920000'],
    ]);
    const progress: Array<[number, number]> = [];
    expect(await store.rebuild(null, (done, total) => progress.push([done, total]))).toBe(2);
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(await actions(ledger)).toEqual(live);
  });
});

describe('an action that fans out over traces through span links', () => {
  it('counts once in action-instance-costs: a queued job whose root links to the request that enqueued it', async () => {
    const { ledger, stage, advance, send } = await setup();
    const request = trace(20);
    const job = trace(21);
    const chained = trace(22);
    const link = (traceId: string) => [{ traceId, spanId: 'f'.repeat(16), attributes: {} }];
    await send([
      root(request, 'POST /api/import', { 'chargeback.action': 'import.document', 'chargeback.team': 'data' }),
      call(request, '0000000000000001', 'f'.repeat(16), 'priced-a', 1000, 100),
      { ...root(job, 'job embed-chunks', {}), links: link(request) },
      call(job, '0000000000000002', 'f'.repeat(16), 'priced-b', 2000, 0),
      { ...root(chained, 'job summarise', {}), links: link(job) },
      call(chained, '0000000000000003', 'f'.repeat(16), 'priced-c', 500, 50),
      root(trace(23), 'POST /api/import', { 'chargeback.action': 'import.document', 'chargeback.team': 'data' }),
      call(trace(23), '0000000000000001', 'f'.repeat(16), 'priced-a', 1000, 100),
    ]);
    advance(5_000);
    await stage.tick();
    const { ReportCatalog } = await import('../../processor/src/reports/catalog.js');
    const { prepareReport } = await import('../../processor/src/reports/execute-report.js');
    const { instanceReportRunner } = await import('../../processor/src/reports/runner.js');
    const { report, values } = prepareReport(await ReportCatalog.load(), 'action-instance-costs', { since: '2025-01-01' }, new Date());
    const result = await instanceReportRunner(ledger.db.instance)(report, values);
    const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])));
    // import.document: two instances (the fanned-out one over 3 traces: $0.0028 + $0.004 + $0.0014; the plain one: $0.0028)
    expect(rows.map((r) => [r.action, r.team, r.actions, r.traces, r.calls, r.total_cost_usd])).toEqual([['import.document', 'data', 2, 4, 4, '0.011000000']]);
  });
});
