import type { Attributes } from '@opentelemetry/api';
import { getNumberFromEnv } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AnthropicInstrumentation } from '../anthropic/instrumentation.js';
import { ATTRIBUTION_FIELDS, ATTRIBUTION_KEYS, type Attribution } from '../attribution/keys.js';
import { AttributionSpanProcessor } from '../attribution/span-processor.js';
import { startBudgetGate } from '../budget/gate.js';
import { DEFAULT_BAGGAGE_HOSTS, type InstrumentationSettings } from '../config/env.js';
import { HostPatternError, parseHostAllowlist, type HostAllowlist } from '../baggage/host-allowlist.js';
import { createHttpInstrumentations } from '../http/instrumentations.js';
import { OpenAIInstrumentation } from '../openai/instrumentation.js';
import { useDiagLoggerFromEnv } from './diag-logger.js';
import { createSpanExportersFromEnv } from './exporters.js';
import { createPropagatorFromEnv } from './propagators.js';
import { createResourceFromEnv } from './resource.js';
import { UnexportedSpans } from './unexported-spans.js';

/** The running SDK, for flushing on exit. */
export interface RunningSdk {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Takes the spans ended and not yet through an export, for a process ending without waiting for them. */
  takeUnexported(): ReadableSpan[];
}

/** The batch span processor's default `OTEL_BSP_MAX_QUEUE_SIZE`. */
const BSP_MAX_QUEUE_SIZE = 2048;

/**
 * Starts the OpenTelemetry trace SDK for Node from the standard `OTEL_*` variables: resource, sampler, span limits,
 * batch span processor (`OTEL_BSP_*`), exporters, W3C propagators, AsyncLocalStorage context; plus the GenAI and
 * HTTP instrumentations and the attribution span processor. (The all-in-one `@opentelemetry/sdk-node` costs
 * ~0.4 s and ~45 MB more at startup for metrics, logs and exporters this package does not use.)
 */
export function startSdk(settings: InstrumentationSettings, warn: (message: string) => void): RunningSdk {
  useDiagLoggerFromEnv();
  const resource = createResourceFromEnv();
  const exporters = createSpanExportersFromEnv();
  // Past the batch processor's queue it drops spans itself; a span being sent is counted here too.
  const unexported = new UnexportedSpans(2 * (getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? BSP_MAX_QUEUE_SIZE));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [
      new AttributionSpanProcessor(),
      ...(exporters.length > 0 ? [unexported] : []),
      ...exporters.map((exporter) => new BatchSpanProcessor(unexported.track(exporter))),
    ],
  });
  provider.register({ propagator: createPropagatorFromEnv(allowlistOf(settings, warn)) });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      ...createHttpInstrumentations({ modelHttpSpans: settings.modelHttpSpans }),
      new OpenAIInstrumentation({ injectStreamUsage: settings.openaiStreamUsage }),
      new AnthropicInstrumentation(),
    ],
  });
  // The gate's default scope is the service's own attribution (OTEL_RESOURCE_ATTRIBUTES=chargeback.team=...).
  const gate = startBudgetGate({ defaults: attributionOf(resource.attributes) });
  for (const problem of gate.problems) warn(problem);
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
    takeUnexported: () => unexported.take(),
  };
}

function attributionOf(attributes: Attributes): Attribution {
  const attribution: Attribution = {};
  for (const field of ATTRIBUTION_FIELDS) {
    const value = attributes[ATTRIBUTION_KEYS[field]];
    if (typeof value === 'string' && value !== '') attribution[field] = value;
  }
  return attribution;
}

function allowlistOf(settings: InstrumentationSettings, warn: (message: string) => void): HostAllowlist {
  try {
    return parseHostAllowlist(settings.baggageHosts);
  } catch (error) {
    if (!(error instanceof HostPatternError)) throw error;
    warn(`GENAI_CHARGEBACK_BAGGAGE_HOSTS: ${error.message}. Using the default "${DEFAULT_BAGGAGE_HOSTS}".`);
    return parseHostAllowlist(DEFAULT_BAGGAGE_HOSTS);
  }
}
