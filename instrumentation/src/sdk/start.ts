import { diag, DiagConsoleLogger, type Attributes } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AnthropicInstrumentation } from '../anthropic/instrumentation.js';
import { ATTRIBUTION_FIELDS, ATTRIBUTION_KEYS, type Attribution } from '../attribution/keys.js';
import { AttributionSpanProcessor } from '../attribution/span-processor.js';
import { startBudgetGate } from '../budget/gate.js';
import { DEFAULT_BAGGAGE_HOSTS, type InstrumentationSettings } from '../config/env.js';
import { HostPatternError, parseHostAllowlist, type HostAllowlist } from '../baggage/host-allowlist.js';
import { createHttpInstrumentations } from '../http/instrumentations.js';
import { OpenAIInstrumentation } from '../openai/instrumentation.js';
import { createSpanExportersFromEnv } from './exporters.js';
import { createPropagatorFromEnv } from './propagators.js';
import { createResourceFromEnv } from './resource.js';

/** The running SDK, for flushing on exit. */
export interface RunningSdk {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry trace SDK for Node from the standard `OTEL_*` variables: resource, sampler, span limits,
 * batch span processor (`OTEL_BSP_*`), exporters, W3C propagators, AsyncLocalStorage context; plus the GenAI and
 * HTTP instrumentations and the attribution span processor. (The all-in-one `@opentelemetry/sdk-node` costs
 * ~0.4 s and ~45 MB more at startup for metrics, logs and exporters this package does not use.)
 */
export function startSdk(settings: InstrumentationSettings, warn: (message: string) => void): RunningSdk {
  const logLevel = process.env['OTEL_LOG_LEVEL'];
  if (logLevel !== undefined && logLevel.trim() !== '') {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  }
  const resource = createResourceFromEnv();
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new AttributionSpanProcessor(), ...createSpanExportersFromEnv().map((exporter) => new BatchSpanProcessor(exporter))],
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
  return provider;
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
