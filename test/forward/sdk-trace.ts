import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * One trace as the real OpenTelemetry JS SDK makes it, using what the processor's decoders do not read and
 * forwarding must still pass on: trace state, span flags, events (one dropped by the limit), links with
 * attributes, schema URLs, a double attribute, an error status.
 *   POST /api/answer (root)
 *   ├─ chat priced-chat      GenAI call, priced: 1200 input, 300 output tokens, feature on the span
 *   ├─ chat mystery-model    GenAI call the price book cannot price
 *   └─ SELECT documents      not a GenAI call, linked to the first call
 */
export const PRICED_INPUT = 1200;
export const PRICED_OUTPUT = 300;
/** The test price book (test/support/ledger-harness.ts): $2/M input, $8/M output → 0.0024 + 0.0024. */
export const PRICED_COST_USD = 0.0048;

export function makeAnswerTrace(): ReadableSpan[] {
  return makeAnswerTraces(1);
}

/** `count` such traces from one SDK (4 spans each, 2 of them GenAI calls). */
export function makeAnswerTraces(count: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'answer-api', 'chargeback.team': 'search', 'host.cpus': 8 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    spanLimits: { eventCountLimit: 1 },
    sampler: {
      shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: new TraceState('vendor=abc,other=1') }),
      toString: () => 'always-with-state',
    },
  });
  const tracer = provider.getTracer('@genai-chargeback/forward-test', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' });
  for (let i = 0; i < count; i++) {
    const root = tracer.startSpan('POST /api/answer', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'sample.ratio': 0.25 } });
    const parent = trace.setSpan(context.active(), root);
    const priced = tracer.startSpan(
      'chat priced-chat',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'priced-chat',
          'gen_ai.usage.input_tokens': PRICED_INPUT,
          'gen_ai.usage.output_tokens': PRICED_OUTPUT,
          'gen_ai.request.temperature': 0.7,
          'chargeback.feature': 'answers',
        },
      },
      parent,
    );
    priced.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'dropped by the event limit' });
    priced.addEvent('gen_ai.choice', { index: 0, finish_reason: 'stop' });
    priced.end();
    const unpriced = tracer.startSpan(
      'chat mystery-model',
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'mystery-model', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 } },
      parent,
    );
    unpriced.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
    unpriced.end();
    const query = tracer.startSpan(
      'SELECT documents',
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' }, links: [{ context: priced.spanContext(), attributes: { 'link.reason': 'context-for' } }] },
      parent,
    );
    query.end();
    root.end();
  }
  return exporter.getFinishedSpans();
}
