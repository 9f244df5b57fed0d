import { SpanKind, SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../processor/src/store/database.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';

/** Spans as a real SDK makes them: one trace, a server root and GenAI calls with known usage. */
function recordSpans(serviceName: string, resource: Attributes, calls: Array<{ name: string; attributes: Attributes; error?: boolean }>): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, ...resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('e2e');
  const root = tracer.startSpan('POST /api/answer', { kind: SpanKind.SERVER });
  const parent = trace.setSpan(context.active(), root);
  for (const call of calls) {
    const span = tracer.startSpan(call.name, { kind: SpanKind.CLIENT, attributes: call.attributes }, parent);
    if (call.error) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
  root.end();
  return memory.getFinishedSpans();
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

const gpt41 = {
  'gen_ai.provider.name': 'openai',
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4.1',
  'gen_ai.response.model': 'gpt-4.1-2025-04-14',
  'gen_ai.usage.input_tokens': 1200,
  'gen_ai.usage.cache_read.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 300,
  'chargeback.team': 'search',
  'gen_ai.input.messages': '[{"role":"user","content":"secret prompt"}]',
};
const sonnet = {
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'claude-sonnet-4-5',
  'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
  'gen_ai.usage.input_tokens': 5000,
  'gen_ai.usage.cache_read.input_tokens': 3000,
  'gen_ai.usage.cache_creation.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 400,
};
const unknownModel = { 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-imaginary', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 };

describe('processor end to end with the real OTLP exporters', () => {
  let processor: ProcessorProcess;
  const protoSpans = recordSpans('search-api', { 'deployment.environment.name': 'prod' }, [{ name: 'chat gpt-4.1', attributes: gpt41 }]);
  const jsonSpans = recordSpans('support-bot', { 'chargeback.team': 'support' }, [
    { name: 'chat claude-sonnet-4-5', attributes: sonnet },
    { name: 'chat claude-sonnet-4-5', attributes: { ...sonnet, 'error.type': 'overloaded_error' }, error: true },
  ]);
  const grpcSpans = recordSpans('batch-job', {}, [{ name: 'chat gpt-imaginary', attributes: unknownModel }]);

  beforeAll(async () => {
    processor = await startProcessor();
  });
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('accepts HTTP protobuf, HTTP JSON and gRPC exports, stores each call once, and stops gracefully', async () => {
    const proto = new ProtoExporter({ url: `${processor.httpUrl}/v1/traces`, compression: 'gzip' as never });
    const json = new JsonExporter({ url: `${processor.httpUrl}/v1/traces` });
    const grpc = new GrpcExporter({ url: `http://${processor.grpcAddress}` });
    for (const [exporter, spans] of [[proto, protoSpans], [json, jsonSpans], [grpc, grpcSpans]] as const) {
      const result = await exportWith(exporter, spans);
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
    }
    // The same batches again, crossed over transports: stored once.
    expect((await exportWith(grpc, protoSpans)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportWith(proto, jsonSpans)).code).toBe(ExportResultCode.SUCCESS);
    await Promise.all([proto.shutdown(), json.shutdown(), grpc.shutdown()]);

    expect(await processor.stop('SIGTERM')).toBe(0);

    const db = await openDatabase(processor.dbPath);
    const rows = (
      await db.connection.runAndReadAll(`
        SELECT service_name, team, environment, provider, request_model, response_model, input_tokens, output_tokens,
               cache_read_tokens, cache_write_tokens, cost_usd::VARCHAR AS cost, cost_source, price_id, status, error_type,
               attributes->>'$."gen_ai.input.messages"' AS prompt
        FROM llm_calls ORDER BY service_name, status`)
    ).getRowObjectsJS();
    await db.close();
    expect(rows).toEqual([
      {
        service_name: 'batch-job', team: null, environment: null, provider: 'openai', request_model: 'gpt-imaginary', response_model: null,
        input_tokens: 10n, output_tokens: 1n, cache_read_tokens: null, cache_write_tokens: null, cost: null, cost_source: 'unpriced',
        price_id: null, status: 'ok', error_type: null, prompt: null,
      },
      {
        // (1200 − 1000) × $2 + 1000 × $0.50 + 300 × $8, per million
        service_name: 'search-api', team: 'search', environment: 'prod', provider: 'openai', request_model: 'gpt-4.1', response_model: 'gpt-4.1-2025-04-14',
        input_tokens: 1200n, output_tokens: 300n, cache_read_tokens: 1000n, cache_write_tokens: null, cost: '0.003300000', cost_source: 'computed',
        price_id: expect.stringContaining('openai/gpt-4.1@2025-04-14'), status: 'ok', error_type: null, prompt: null,
      },
      {
        // (5000 − 3000 − 1000) × $3 + 3000 × $0.30 + 1000 × $3.75 + 400 × $15, per million
        service_name: 'support-bot', team: 'support', environment: null, provider: 'anthropic', request_model: 'claude-sonnet-4-5', response_model: 'claude-sonnet-4-5-20250929',
        input_tokens: 5000n, output_tokens: 400n, cache_read_tokens: 3000n, cache_write_tokens: 1000n, cost: '0.013650000', cost_source: 'computed',
        price_id: expect.stringContaining('anthropic/claude-sonnet-4-5@2025-09-29'), status: 'error', error_type: 'overloaded_error', prompt: null,
      },
      {
        service_name: 'support-bot', team: 'support', environment: null, provider: 'anthropic', request_model: 'claude-sonnet-4-5', response_model: 'claude-sonnet-4-5-20250929',
        input_tokens: 5000n, output_tokens: 400n, cache_read_tokens: 3000n, cache_write_tokens: 1000n, cost: '0.013650000', cost_source: 'computed',
        price_id: expect.stringContaining('anthropic/claude-sonnet-4-5@2025-09-29'), status: 'ok', error_type: null, prompt: null,
      },
    ]);
  });
});
