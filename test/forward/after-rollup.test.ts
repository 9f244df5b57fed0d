import { SpanKind, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecodedSpan } from '../../processor/src/otlp/index.js';
import { startDownstream } from './downstream.js';
import { startForwardingProcessor } from './harness.js';
import { PRICED_COST_USD, makeAnswerTraces } from './sdk-trace.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A health check: two spans, no GenAI call, so the roll-up writes no action for it. */
function healthCheck() {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('health');
  const root = tracer.startSpan('GET /healthz', { kind: SpanKind.SERVER });
  tracer.startSpan('ping db', {}, trace.setSpan(context.active(), root)).end();
  root.end();
  return exporter.getFinishedSpans();
}

const ofTrace = (spans: DecodedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

describe('forwarding after-rollup: a trace goes on once its action is written, the action cost on its root', () => {
  it('holds spans until the roll-up writes the action, then puts its exact cost and call count on the root span', async () => {
    const downstream = await startDownstream();
    const processor = await startForwardingProcessor(
      [
        { name: 'viewer', endpoint: downstream.httpUrl, mode: 'after-rollup', batch: { timeout: '10ms' } },
        { name: 'raw', endpoint: downstream.grpcEndpoint, protocol: 'grpc', batch: { timeout: '10ms' } },
      ],
      { rollup: true },
    );
    cleanups.push(() => downstream.close(), () => processor.close(1_000));
    const answer = makeAnswerTraces(1);
    const health = healthCheck();
    expect((await processor.post(ProtobufTraceSerializer.serializeRequest([...answer, ...health])!)).status).toBe(200);
    const answerTrace = answer[0]!.spanContext().traceId;
    const healthTrace = health[0]!.spanContext().traceId;

    // The immediate exporter has everything; the after-rollup one nothing yet: the trace is not complete.
    const viewer = () => downstream.accepted.filter((r) => r.transport === 'http').length;
    await downstream.waitForSpans(6);
    await processor.rollup!.tick();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(viewer()).toBe(0);
    expect(processor.forwarding.metrics.snapshot()[0]!.genai_chargeback_forward_held_spans).toBe(6);

    processor.advance(5_000); // quiet for the roll-up's wait: both traces are complete
    await processor.rollup!.tick();
    await downstream.waitForSpans(12);
    const viewerSpans = downstream.spans((r) => r.transport === 'http');
    const raw = downstream.spans((r) => r.transport === 'grpc');

    const [action] = await processor.ledger.query(`SELECT cost_usd::VARCHAR AS cost, calls FROM actions WHERE trace_id = '${answerTrace}'`);
    expect(action).toStrictEqual({ cost: '0.004800000', calls: 2 });
    const root = ofTrace(viewerSpans, answerTrace).find((s) => s.parentSpanId === '')!;
    expect(root.attributes['chargeback.action.cost_usd']).toBe(Number(action!.cost));
    expect(root.attributes['chargeback.action.cost_usd']).toBe(PRICED_COST_USD);
    expect(root.attributes['chargeback.action.calls']).toBe(2);
    // Only the root carries the action; the calls carry their own cost as in immediate mode.
    const others = ofTrace(viewerSpans, answerTrace).filter((s) => s !== root);
    expect(others.map((s) => s.attributes['chargeback.action.cost_usd'])).toStrictEqual([undefined, undefined, undefined]);
    expect(others.find((s) => s.name === 'chat priced-chat')!.attributes['gen_ai.usage.cost.amount']).toBe(PRICED_COST_USD);
    // A trace without a GenAI call has no action, and is forwarded as it is once the roll-up is done with it.
    expect(ofTrace(viewerSpans, healthTrace).map((s) => s.attributes['chargeback.action.calls'])).toStrictEqual([undefined, undefined]);
    expect(processor.forwarding.metrics.snapshot()[0]).toMatchObject({
      otelcol_exporter_sent_spans: 6,
      genai_chargeback_forward_held_spans: 0,
      genai_chargeback_forward_traces_released_without_action: 0,
    });
    // The immediate exporter's root span has no action totals: they did not exist when it was sent.
    expect(ofTrace(raw, answerTrace).find((s) => s.parentSpanId === '')!.attributes['chargeback.action.cost_usd']).toBeUndefined();
  });

  it('at shutdown the roll-up writes what it holds and the held traces go out with their (incomplete) action', async () => {
    const downstream = await startDownstream();
    const processor = await startForwardingProcessor([{ endpoint: downstream.httpUrl, mode: 'after-rollup', batch: { timeout: '1h' } }], { rollup: true });
    cleanups.push(() => downstream.close());
    const answer = makeAnswerTraces(2);
    expect((await processor.post(ProtobufTraceSerializer.serializeRequest(answer)!)).status).toBe(200);
    await processor.close(2_000);
    const spans = downstream.spans();
    expect(spans).toHaveLength(8);
    expect(spans.filter((s) => s.parentSpanId === '').map((s) => s.attributes['chargeback.action.calls'])).toStrictEqual([2, 2]);
  });
});
