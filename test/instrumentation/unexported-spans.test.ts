import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { fromPortableSpans, toPortableSpans } from '../../instrumentation/src/sdk/portable-spans.js';
import { UnexportedSpans } from '../../instrumentation/src/sdk/unexported-spans.js';

/** An exporter that answers only when told to, as one waiting on a slow collector. */
function heldExporter(): SpanExporter & { answer(batch?: number): void; exported: ReadableSpan[] } {
  const waiting: Array<(() => void) | undefined> = [];
  const exported: ReadableSpan[] = [];
  return {
    exported,
    export(spans, resultCallback) {
      waiting.push(() => {
        exported.push(...spans);
        resultCallback({ code: 0 });
      });
    },
    /** Answers one batch (by the order it came), or every batch waiting. */
    answer(batch?: number) {
      const indexes = batch === undefined ? waiting.keys() : [batch];
      for (const index of [...indexes]) {
        waiting[index]?.();
        waiting[index] = undefined;
      }
    },
    shutdown: () => Promise.resolve(),
  };
}

describe('spans not yet exported', () => {
  it('holds each ended, sampled span until an exporter has answered for it', async () => {
    const unexported = new UnexportedSpans(100);
    const exporter = heldExporter();
    const batch = new BatchSpanProcessor(unexported.track(exporter), { scheduledDelayMillis: 60_000 });
    const tracer = new BasicTracerProvider({ spanProcessors: [unexported, batch] }).getTracer('test');
    for (const name of ['first', 'second']) tracer.startSpan(name).end();
    tracer.startSpan('open');
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: TraceFlags.NONE });
    tracer.startSpan('not sampled', {}, unsampled).end();

    const flushed = batch.forceFlush();
    await new Promise((resolve) => setImmediate(resolve));
    // Being sent, not yet answered: a process ending now would lose them.
    expect(exporter.exported).toEqual([]);
    const pending = unexported.take();
    expect(pending.map((span) => span.name)).toEqual(['first', 'second']);

    tracer.startSpan('third').end();
    exporter.answer();
    await flushed;
    expect(exporter.exported.map((span) => span.name)).toEqual(['first', 'second']);
    expect(unexported.take().map((span) => span.name)).toEqual(['third']);
  });

  it('keeps the spans of a batch still in flight when a later batch is answered first', async () => {
    const unexported = new UnexportedSpans(100);
    const exporter = heldExporter();
    const batch = new BatchSpanProcessor(unexported.track(exporter), { maxExportBatchSize: 2, scheduledDelayMillis: 60_000 });
    const tracer = new BasicTracerProvider({ spanProcessors: [unexported, batch] }).getTracer('test');
    for (const name of ['a1', 'a2', 'b1', 'b2']) tracer.startSpan(name).end();
    // A flush sends every batch at once.
    const flushed = batch.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    exporter.answer(1);
    expect(exporter.exported.map((span) => span.name)).toEqual(['b1', 'b2']);
    expect(unexported.take().map((span) => span.name)).toEqual(['a1', 'a2']);
    exporter.answer();
    await flushed;
  });

  it('keeps at most its limit, dropping the oldest', () => {
    const unexported = new UnexportedSpans(3);
    unexported.track(heldExporter());
    const tracer = new BasicTracerProvider({ spanProcessors: [unexported] }).getTracer('test');
    for (let i = 1; i <= 5; i++) tracer.startSpan(`span ${i}`).end();
    expect(unexported.take().map((span) => span.name)).toEqual(['span 3', 'span 4', 'span 5']);
  });

  it('lets go of the spans the batch processor dropped past its queue, once a later one is answered for', async () => {
    const unexported = new UnexportedSpans(100);
    const exporter = new InMemorySpanExporter();
    const batch = new BatchSpanProcessor(unexported.track(exporter), { maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 });
    const tracer = new BasicTracerProvider({ spanProcessors: [unexported, batch] }).getTracer('test');
    for (let i = 1; i <= 6; i++) tracer.startSpan(`span ${i}`).end();
    await batch.forceFlush();
    const sent = exporter.getFinishedSpans().length;
    expect(sent).toBeLessThan(6);
    tracer.startSpan('span 7').end();
    await batch.forceFlush();
    expect(exporter.getFinishedSpans().map((span) => span.name).at(-1)).toBe('span 7');
    expect(exporter.getFinishedSpans()).toHaveLength(sent + 1);
    // The others were dropped by the batch processor, not waiting to be sent: nothing is left for an exit.
    expect(unexported.take()).toEqual([]);
  });

  it('holds a span until every exporter has answered for it', async () => {
    const unexported = new UnexportedSpans(100);
    const [slow, fast] = [heldExporter(), new InMemorySpanExporter()];
    const processors = [slow, fast].map((exporter) => new BatchSpanProcessor(unexported.track(exporter), { scheduledDelayMillis: 60_000 }));
    const tracer = new BasicTracerProvider({ spanProcessors: [unexported, ...processors] }).getTracer('test');
    tracer.startSpan('chat').end();
    const flushed = Promise.all(processors.map((processor) => processor.forceFlush()));
    // The in-memory exporter answers on a timer.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fast.getFinishedSpans().map((span) => span.name)).toEqual(['chat']);
    expect(unexported.take().map((span) => span.name)).toEqual(['chat']);
    slow.answer();
    await flushed;
  });

  it('hands spans to another process as JSON and back without changing their OTLP encoding', () => {
    const exporter = new InMemorySpanExporter();
    const resource = resourceFromAttributes({ 'service.name': 'support-bot', 'chargeback.team': 'search' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
    const provider = new BasicTracerProvider({ resource, spanProcessors: [{ onStart: () => undefined, onEnd: (span) => void exporter.export([span], () => undefined), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }] });
    const parentContext = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=value'),
    });
    const tracer = provider.getTracer('@genai-chargeback/instrumentation/openai', '0.1.0');
    const call = tracer.startSpan(
      'chat gpt-4.1',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.usage.input_tokens': 1250, 'gen_ai.response.finish_reasons': ['stop'], 'chargeback.feature': 'näive "quotes"' },
        links: [{ context: { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { why: 'retry of' } }],
      },
      parentContext,
    );
    call.addEvent('first token', { 'gen_ai.usage.output_tokens': 1 });
    call.setStatus({ code: SpanStatusCode.ERROR, message: '429' });
    call.end();
    provider.getTracer('other').startSpan('GET /answer').end();

    const spans = exporter.getFinishedSpans();
    const carried = fromPortableSpans(JSON.parse(JSON.stringify(toPortableSpans(spans))));
    const encode = (list: ReadableSpan[]) => JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(list)));
    expect(encode(carried)).toEqual(encode(spans));
    expect(encode(carried).resourceSpans).toHaveLength(1);
  });
});
