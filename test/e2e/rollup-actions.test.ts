import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../processor/src/store/database.js';
import { scrapeMetrics } from '../reliability/support.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';

/** A processor with a short roll-up wait so tests finish quickly; the rest of the config as given. */
async function processorWith(rollup: Record<string, unknown>, dbPath?: string): Promise<ProcessorProcess> {
  const dir = dbPath === undefined ? mkdtempSync(join(tmpdir(), 'gc-rollup-e2e-')) : dirname(dbPath);
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `rollup:\n${Object.entries(rollup).map(([k, v]) => `  ${k}: ${String(v)}`).join('\n')}\n`);
  return startProcessor({ dbPath: dbPath ?? join(dir, 'ledger.duckdb'), args: ['--config', configPath] });
}

function recorder(serviceName: string) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { tracer: provider.getTracer('e2e'), memory };
}

function chat(model: string, input: number, output: number, extra: Attributes = {}): Attributes {
  return {
    'gen_ai.provider.name': 'openai',
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': model,
    'gen_ai.usage.input_tokens': input,
    'gen_ai.usage.output_tokens': output,
    ...extra,
  };
}

async function send(processor: ProcessorProcess, spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `${processor.httpUrl}/v1/traces` });
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  expect(result.error).toBeUndefined();
  expect(result.code).toBe(ExportResultCode.SUCCESS);
}

async function actionsIn(dbPath: string) {
  const db = await openDatabase(dbPath);
  const rows = (
    await db.connection.runAndReadAll(`SELECT trace_id, action, root_span_name, service_name, team, calls, failed_calls,
      input_tokens, output_tokens, cost_usd::VARCHAR AS cost, failed_cost_usd::VARCHAR AS failed_cost, models, complete
      FROM actions ORDER BY start_time`)
  ).getRowObjectsJS();
  await db.close();
  return rows;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('roll-up with a real processor process', () => {
  it('agent loop: 20 calls over several out-of-order batches, a failed call, then a late span updates the same row', async () => {
    const processor = await processorWith({ wait: '400ms', max_age: '20s' });
    const { tracer, memory } = recorder('agent-worker');
    const root = tracer.startSpan('POST /api/agent', { kind: SpanKind.SERVER, attributes: { 'chargeback.team': 'support', 'chargeback.action': 'agent.resolve_ticket' } });
    const parent = trace.setSpan(context.active(), root);
    for (let i = 0; i < 20; i++) {
      const span = tracer.startSpan('chat gpt-4.1-mini', { kind: SpanKind.CLIENT, attributes: chat('gpt-4.1-mini', 1000, 100, i === 10 ? { 'error.type': 'timeout' } : {}) }, parent);
      if (i === 10) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    root.end();
    const spans = memory.getFinishedSpans();
    const rootSpan = spans.find((s) => s.name === 'POST /api/agent') as ReadableSpan;
    const callSpans = spans.filter((s) => s !== rootSpan);
    // Out of order: the root first, calls in reversed batches of 7.
    await send(processor, [rootSpan]);
    const reversed = [...callSpans].reverse();
    for (let i = 0; i < reversed.length; i += 7) await send(processor, reversed.slice(i, i + 7));
    await sleep(1_500);
    const late = tracer.startSpan('chat gpt-4.1-mini', { kind: SpanKind.CLIENT, attributes: chat('gpt-4.1-mini', 500, 50) }, parent);
    late.end();
    await send(processor, memory.getFinishedSpans().slice(-1));
    await sleep(1_500);
    const metrics = await scrapeMetrics(processor.httpUrl);
    expect(metrics.get('genai_chargeback_late_spans_total')).toBe(1);
    expect(metrics.get('genai_chargeback_traces_buffered')).toBe(0);
    // The first row from the 20 calls the roll-up saw stored; the update read back from the ledger.
    expect(metrics.get('genai_chargeback_actions_written_total')).toBe(1);
    expect(metrics.get('genai_chargeback_actions_read_back_total')).toBe(1);
    // The root (started less than the allowed clock skew after the processor did), then the roll-up's memory of
    // writing the trace, bounded both searches for an existing row.
    const writesBy = (search: string) => metrics.get(`genai_chargeback_action_writes_total{search="${search}"}`);
    expect([writesBy('none'), writesBy('recent'), writesBy('all')]).toEqual([0, 2, 0]);
    expect(await processor.stop()).toBe(0);
    // gpt-4.1-mini: $0.40 in, $1.60 out per million → 1000 in + 100 out = $0.00056 a call; the late one $0.00028
    expect(await actionsIn(processor.dbPath)).toEqual([
      {
        trace_id: rootSpan.spanContext().traceId,
        action: 'agent.resolve_ticket',
        root_span_name: 'POST /api/agent',
        service_name: 'agent-worker',
        team: 'support',
        calls: 21,
        failed_calls: 1,
        input_tokens: 20_500n,
        output_tokens: 2_050n,
        cost: '0.011480000',
        failed_cost: '0.000560000',
        models: ['gpt-4.1-mini'],
        complete: true,
      },
    ]);
  });

  it('evicts the oldest trace as an incomplete action under a small buffer, counts what /metrics shows, and recovers traces left waiting by kill -9', async () => {
    const processor = await processorWith({ wait: '30s', max_age: '60s', max_traces: 2 });
    const { tracer, memory } = recorder('batch');
    for (let i = 0; i < 3; i++) {
      const root = tracer.startSpan(`job ${i}`, { kind: SpanKind.SERVER });
      const parent = trace.setSpan(context.active(), root);
      tracer.startSpan('chat gpt-4.1', { attributes: chat('gpt-4.1', 100, 10) }, parent).end();
      // The price book lacks this model: the call is stored unpriced and its action's cost is a lower bound.
      if (i === 0) tracer.startSpan('chat house-model', { attributes: chat('house-model-7', 100, 10) }, parent).end();
      root.end();
      await send(processor, memory.getFinishedSpans().slice(i === 0 ? -3 : -2));
    }
    // Give the eviction's write time to commit; the two traces still buffered are lost with the process.
    await sleep(2_000);
    const metrics = await scrapeMetrics(processor.httpUrl);
    expect(metrics.get('genai_chargeback_traces_evicted_total')).toBe(1);
    expect(metrics.get('genai_chargeback_traces_buffered')).toBe(2);
    expect(metrics.get('genai_chargeback_calls_stored_total')).toBe(4);
    expect(metrics.get('genai_chargeback_calls_unpriced_total')).toBe(1);
    // No team anywhere: the three priced calls' cost, 3 × $0.00028, is unallocated.
    expect(metrics.get('genai_chargeback_unallocated_cost_usd_total')).toBe(0.00084);
    processor.child.kill('SIGKILL');
    await processor.stop();
    // Restart on the same file: the two traces that were still waiting get their action from the ledger.
    const restarted = await processorWith({ wait: '30s', max_age: '60s', max_traces: 2 }, processor.dbPath);
    expect(restarted.logs.some((l) => l.msg === 'wrote incomplete actions for calls left without one by an earlier stop' && l.actions === 2)).toBe(true);
    expect(await restarted.stop()).toBe(0);
    // gpt-4.1: 100 in × $2 + 10 out × $8 per million = $0.00028
    expect((await actionsIn(processor.dbPath)).map((a) => [a.action, a.calls, a.cost, a.complete])).toEqual([
      ['job 0', 2, '0.000280000', false],
      ['unknown', 1, '0.000280000', false],
      ['unknown', 1, '0.000280000', false],
    ]);
  });
});
