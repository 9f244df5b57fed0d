// Preload for the peer instrumentations in bench/instrumentation.ts (PEER=otel-openai | openllmetry): the trace SDK
// with a batch processor and OTLP/protobuf exporter, as ours uses, plus the peer's OpenAI instrumentation, with
// message content capture off like ours.
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');

const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
provider.register();

const instrumentation =
  process.env.PEER === 'otel-openai'
    ? new (require('@opentelemetry/instrumentation-openai').OpenAIInstrumentation)({ captureMessageContent: false })
    : new (require('@traceloop/instrumentation-openai').OpenAIInstrumentation)({ traceContent: false, enrichTokens: false });
registerInstrumentations({ tracerProvider: provider, instrumentations: [instrumentation] });
process.on('beforeExit', () => void provider.shutdown());
