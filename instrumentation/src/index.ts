/**
 * `@genai-chargeback/instrumentation`: attributed GenAI spans for openai and @anthropic-ai/sdk.
 * Most apps only need the preload (`--import @genai-chargeback/instrumentation/register`) and `withAttribution`.
 * Apps with their own OpenTelemetry SDK use the instrumentations, propagator and span processor below.
 */
import { trace } from '@opentelemetry/api';

export { withAttribution, getAttribution, configureAttribution } from './attribution/scope.js';
export { parseAttribution, checkAttribution, AttributionError } from './attribution/validate.js';
export { ATTRIBUTION_KEYS, type Attribution, type AttributionField, type AttributionKey } from './attribution/keys.js';
export { AttributionSpanProcessor } from './attribution/span-processor.js';
export { AttributionBaggagePropagator } from './baggage/propagator.js';
export { parseHostAllowlist, HostPatternError, type HostAllowlist } from './baggage/host-allowlist.js';
export { createHttpInstrumentations, type HttpInstrumentationOptions } from './http/instrumentations.js';
export { OpenAIInstrumentation, type OpenAIInstrumentationConfig } from './openai/instrumentation.js';
export { AnthropicInstrumentation, type AnthropicInstrumentationConfig } from './anthropic/instrumentation.js';
export * from './semconv.js';
export * from './budget/index.js';

/**
 * Exports the spans buffered so far. Awaited before `process.exit()`, it spares the exit event its synchronous
 * export through a child process (0.3–0.4 s). Resolves (never rejects) also when no SDK is running.
 */
export async function flush(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  try {
    await delegate.forceFlush?.();
  } catch {
    // An unreachable collector is not the app's problem.
  }
}
