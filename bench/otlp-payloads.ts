import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';

const teams = ['search', 'support', 'growth', 'data', 'platform'];
const models = ['gpt-4.1', 'gpt-4.1-mini', 'claude-sonnet-4-5', 'text-embedding-3-small', 'gpt-5-mini'];

/**
 * Export requests as the real OTel JS SDK encodes them: `perRequest` spans each, one trace per 10 spans
 * (a root server span and its children), every `genAiEvery`-th span a GenAI call with typical attributes.
 */
export function makeProtobufRequests(count: number, perRequest: number, genAiEvery: number, seed = 0): Uint8Array[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-service', 'service.version': '1.4.2', 'deployment.environment.name': 'prod', 'host.name': 'bench-host-1' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const requests: Uint8Array[] = [];
  let n = seed;
  for (let r = 0; r < count; r++) {
    exporter.reset();
    for (let i = 0; i < perRequest; i += 10) {
      const root = tracer.startSpan('POST /api/search', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'http.route': '/api/search', 'url.path': '/api/search', 'http.response.status_code': 200, 'server.address': 'search.internal', 'user_agent.original': 'Mozilla/5.0 bench' } });
      const parent = trace.setSpan(context.active(), root);
      for (let k = 1; k < 10; k++) {
        n += 1;
        const isCall = n % genAiEvery === 0;
        const model = models[n % models.length] as string;
        const span = isCall
          ? tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT, attributes: {
              'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
              'gen_ai.operation.name': model.startsWith('text-embedding') ? 'embeddings' : 'chat',
              'gen_ai.request.model': model,
              'gen_ai.response.model': `${model}-2025-04-14`,
              'gen_ai.response.id': `chatcmpl-${n}`,
              'gen_ai.usage.input_tokens': 1000 + (n % 5000),
              'gen_ai.usage.output_tokens': 100 + (n % 700),
              'gen_ai.usage.cache_read.input_tokens': n % 3 === 0 ? 512 : 0,
              'gen_ai.response.finish_reasons': ['stop'],
              'chargeback.team': teams[n % teams.length] as string,
              'chargeback.project': 'web',
              'chargeback.feature': 'answers',
              'user.id': `user-${n % 1000}`,
              'server.address': 'api.openai.com',
            } }, parent)
          : tracer.startSpan('SELECT documents', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT id, body FROM documents WHERE id = $1', 'server.address': 'db.internal', 'server.port': 5432 } }, parent);
        if (isCall && n % 50 === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
        span.end();
      }
      root.end();
    }
    const encoded = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans());
    if (encoded === undefined) throw new Error('serializer returned nothing');
    requests.push(encoded);
  }
  return requests;
}
