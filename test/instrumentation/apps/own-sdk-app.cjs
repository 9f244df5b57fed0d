// An app that configures its own OpenTelemetry SDK and adds this package's pieces to it (no preload).
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { CompositePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const pieces = require('@genai-chargeback/instrumentation');

const provider = new NodeTracerProvider({
  spanProcessors: [new pieces.AttributionSpanProcessor(), new BatchSpanProcessor(new OTLPTraceExporter())],
});
provider.register({
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new pieces.AttributionBaggagePropagator(pieces.parseHostAllowlist('loopback'))],
  }),
});
registerInstrumentations({
  instrumentations: [...pieces.createHttpInstrumentations(), new pieces.OpenAIInstrumentation(), new pieces.AnthropicInstrumentation()],
});

const OpenAI = require('openai');
const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1` });

async function main() {
  const tracer = trace.getTracer('own-app');
  await tracer.startActiveSpan('handle-request', async (root) => {
    await pieces.withAttribution({ team: 'platform', project: 'own-sdk' }, async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] });
      console.log(JSON.stringify({ tokens: completion.usage.total_tokens }));
    });
    root.end();
  });
  await provider.shutdown();
}

main();
