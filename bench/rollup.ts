/**
 * Roll-up benchmark (issue 4).
 *  1. Memory of the trace buffer: heap per buffered trace and per buffered span (in process, exposed GC).
 *  2. Time from a trace's last span to its `actions` row, through a real processor at a steady span rate.
 *  3. One write's time over a large `actions` table by how it finds which traces have a row already: not at all
 *     (roots that began after the roll-up started), among the rows after a bound (the roots), among all rows.
 * Run: npm run bench (or: npm run build && node --expose-gc --import tsx bench/rollup.ts)
 */
import { request, Agent } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { ActionStore, type ActionWrite } from '../processor/src/rollup/action-store.js';
import { addCall, emptyCallTotals } from '../processor/src/rollup/call-totals.js';
import { TraceBuffer, type ObservedSpans, type TraceCalls, type TraceRoot } from '../processor/src/rollup/trace-buffer.js';
import { openDatabase } from '../processor/src/store/database.js';
import { llmCallRow } from '../test/support/llm-call-row.js';
import { startProcessor } from '../test/support/processor-process.js';
import { percentile, printTable } from './table.js';

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Heap the buffer holds for `traces` traces of `spansPerTrace` spans; with `calls`, two stored calls on span 1. */
function bufferMemory(traces: number, spansPerTrace: number, calls: boolean): number {
  const buffer = new TraceBuffer({ waitMs: 5_000, maxAgeMs: 60_000, maxTraces: traces * 2, maxBytes: 2 ** 40 }, 0);
  const ids = Array.from({ length: traces }, (_, i) => i.toString(16).padStart(32, '0'));
  const callsOf = (traceId: string): TraceCalls => ({
    // Fresh strings per call, as decoded spans carry them.
    stored: [1, 2].map((n) => llmCallRow(new Date(1_763_800_000_000 + n), { trace_id: traceId, span_id: `${n}`.padStart(16, '0'), user_id: `user-${traceId.slice(-4)}` })),
    repeated: false,
  });
  const before = heapAfterGc();
  for (let s = 0; s < spansPerTrace; s++) {
    const spans: ObservedSpans[] = ids.map((traceId) => ({
      traceId,
      spans: 1,
      minStartMs: 1_763_800_000_000 + s,
      calls: calls && s === 1 ? callsOf(traceId) : undefined,
      root:
        s === 0
          ? { rootSpanName: 'POST /api/search', serviceName: 'search-api', team: 'search', project: 'web', feature: null, customer: null, action: null, user_id: 'user-42', environment: 'prod', startMs: Date.now(), endMs: Date.now(), originTraceId: null }
          : null,
    }));
    buffer.add(spans, 0);
  }
  const used = heapAfterGc() - before;
  if (buffer.size !== traces) throw new Error('buffer lost traces');
  return used;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
function post(url: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/traces`, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One request per tick: `tracesPerRequest` traces of 10 spans (a root and two GenAI calls among them). */
function makeRequest(tracer: ReturnType<BasicTracerProvider['getTracer']>, memory: InMemorySpanExporter, tracesPerRequest: number): { body: Uint8Array; traceIds: string[] } {
  memory.reset();
  const traceIds: string[] = [];
  for (let t = 0; t < tracesPerRequest; t++) {
    const root = tracer.startSpan('POST /api/search', { kind: SpanKind.SERVER, attributes: { 'chargeback.team': 'search' } });
    traceIds.push(root.spanContext().traceId);
    const parent = trace.setSpan(context.active(), root);
    for (let k = 0; k < 9; k++) {
      const attributes = k < 2 ? { 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4.1-mini', 'gen_ai.usage.input_tokens': 800, 'gen_ai.usage.output_tokens': 90 } : { 'db.system.name': 'postgresql' };
      tracer.startSpan(k < 2 ? 'chat gpt-4.1-mini' : 'SELECT', { kind: SpanKind.CLIENT, attributes }, parent).end();
    }
    root.end();
  }
  const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
  if (body === undefined) throw new Error('serializer returned nothing');
  return { body, traceIds };
}

async function latencyUnderLoad(spansPerSecond: number, seconds: number, waitMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gc-bench-rollup-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `rollup:\n  wait: ${waitMs}ms\n`);
  const processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb'), args: ['--config', config] });
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'search-api' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bench');
  const tracesPerRequest = 50; // 500 spans a request
  const requestsPerSecond = spansPerSecond / (tracesPerRequest * 10);
  const lastSpanAt = new Map<string, number>();
  const started = performance.now();
  const total = Math.round(requestsPerSecond * seconds);
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / requestsPerSecond;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const { body, traceIds } = makeRequest(tracer, memory, tracesPerRequest);
    sends.push(
      post(processor.httpUrl, body).then((status) => {
        if (status !== 200) throw new Error(`status ${status}`);
        const ackedAt = Date.now();
        for (const id of traceIds) lastSpanAt.set(id, ackedAt);
      }),
    );
  }
  await Promise.all(sends);
  const achieved = (total * tracesPerRequest * 10) / ((performance.now() - started) / 1000);
  await new Promise((resolve) => setTimeout(resolve, waitMs + 3_000));
  await processor.stop();
  const db = await openDatabase(processor.dbPath);
  const rows = (await db.connection.runAndReadAll('SELECT trace_id, epoch_ms(updated_at) AS at FROM actions WHERE complete')).getRowObjectsJS();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  const delays = rows.flatMap((row) => {
    const sent = lastSpanAt.get(String(row.trace_id));
    return sent === undefined ? [] : [Number(row.at) - sent];
  });
  return { achieved, traces: lastSpanAt.size, written: delays.length, p50: percentile(delays, 50), p95: percentile(delays, 95), max: Math.max(...delays) };
}

/** How a write finds its traces' existing action rows, as `existingRowStartsFromMs` relative to their roots' start. */
const searches = [
  { search: 'none: every trace surely new', boundBeforeRootMs: -Infinity },
  { search: 'recent: rows after the roots less 2 × clock skew', boundBeforeRootMs: 10 * 60_000 },
  { search: 'all: every row compared', boundBeforeRootMs: Infinity },
];

/**
 * `actions` rows already in the ledger, with random trace ids (as real ones are: nothing narrows a search by id),
 * started over the 30 days before now; then timed writes of `tracesPerWrite` new traces with a root each, in turn
 * for each way of searching.
 */
async function writeOverLargeLedger(existingActions: number, tracesPerWrite: number, writesPerSearch: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gc-bench-rollup-'));
  const db = await openDatabase(join(dir, 'ledger.duckdb'), { threads: 1 });
  const nowMs = Date.now();
  const thirtyDaysMs = 30 * 86_400_000;
  await db.connection.run(`
    INSERT INTO actions
    SELECT md5(i::VARCHAR), 'POST /api/search', 'POST /api/search', 'search-api', 'search', NULL, NULL, NULL, NULL, 'prod',
           epoch_ms(${nowMs - thirtyDaysMs} + i * ${thirtyDaysMs} // ${existingActions}) AS start_time, start_time + INTERVAL 2 SECOND,
           2, 0, 0, 1600, 180, 0, 0, 0, 0.001, 0, ['gpt-4.1-mini'], true, start_time + INTERVAL 10 SECOND
    FROM range(${existingActions}) r(i)`);
  await db.connection.run('CHECKPOINT');
  const store = await ActionStore.open(db.instance);
  const timings = searches.map(() => [] as number[]);
  let serial = 0;
  for (let w = 0; w < writesPerSearch; w++) {
    for (const [i, { boundBeforeRootMs }] of searches.entries()) {
      const startMs = Date.now() - 2_000;
      const writes: ActionWrite[] = Array.from({ length: tracesPerWrite }, () => {
        const traceId = (serial++).toString(16).padStart(32, 'b');
        const root: TraceRoot = { rootSpanName: 'POST /api/search', serviceName: 'search-api', team: 'search', project: null, feature: null, customer: null, action: null, user_id: null, environment: 'prod', startMs, endMs: startMs + 1_500, originTraceId: null };
        const calls = emptyCallTotals();
        addCall(calls, llmCallRow(new Date(startMs + 100), { trace_id: traceId }));
        return { traceId, root, complete: true, calls, existingRowStartsFromMs: startMs - boundBeforeRootMs };
      });
      const began = performance.now();
      await store.write(writes, startMs);
      timings[i]?.push(performance.now() - began);
    }
  }
  store.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return searches.map(({ search }, i) => ({ search, p50: percentile(timings[i] ?? [], 50), p95: percentile(timings[i] ?? [], 95) }));
}

const traces = 100_000;
const oneSpan = bufferMemory(traces, 1, false);
const tenSpans = bufferMemory(traces, 10, false);
const tenSpansTwoCalls = bufferMemory(traces, 10, true);
const waitMs = 5_000;
const load = await latencyUnderLoad(Number(process.env.BENCH_ROLLUP_SPANS ?? 20_000), Number(process.env.BENCH_ROLLUP_SECONDS ?? 20), waitMs);
agent.destroy();
const existingActions = Number(process.env.BENCH_ROLLUP_ACTIONS ?? 2_000_000);
const tracesPerWrite = 100;
const largeLedger = await writeOverLargeLedger(existingActions, tracesPerWrite, 20);

printTable(`Roll-up: trace buffer memory (${traces.toLocaleString('en-US')} traces, heap after GC${gc ? '' : ' — run with --expose-gc for exact figures'})`, [
  { measure: 'bytes per buffered trace (1 span)', value: (oneSpan / traces).toFixed(0), target: '< 1024 beyond its spans' },
  { measure: 'bytes per additional buffered span', value: ((tenSpans - oneSpan) / (traces * 9)).toFixed(1), target: '' },
  { measure: 'bytes per buffered trace with the totals of 2 calls (10 spans)', value: (tenSpansTwoCalls / traces).toFixed(0), target: '< 1024 beyond its spans' },
  { measure: '  of which the call totals', value: ((tenSpansTwoCalls - tenSpans) / traces).toFixed(0), target: '' },
]);
printTable(
  `Roll-up: last span → actions row, ${load.achieved.toFixed(0)} spans/s achieved (target rate ${process.env.BENCH_ROLLUP_SPANS ?? 20_000}), wait ${waitMs} ms; ${cpus().length} cores, Node ${process.version}`,
  [{ traces: String(load.traces), 'actions written': String(load.written), 'p50 ms': load.p50.toFixed(0), 'p95 ms': load.p95.toFixed(0), 'max ms': load.max.toFixed(0), target: `p95 ≤ ${waitMs + 2000}` }],
);
printTable(
  `Roll-up: one write of ${tracesPerWrite} new traces over ${existingActions.toLocaleString('en-US')} existing actions (random trace ids, 30 days), 20 writes each, one DuckDB thread`,
  largeLedger.map(({ search, p50, p95 }) => ({ 'search for existing rows': search, 'p50 ms': p50.toFixed(1), 'p95 ms': p95.toFixed(1) })),
);
