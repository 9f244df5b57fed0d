import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { announceDestination } from '../baggage/destination.js';
import { activeModelCall } from '../genai/call-context.js';

export interface HttpInstrumentationOptions {
  /** Keep HTTP client spans for the requests a model call makes (one per attempt). Default false: the GenAI span counts attempts. */
  modelHttpSpans?: boolean;
}

/**
 * `http`/`https` and `fetch` (undici) instrumentations that propagate trace context and baggage between services,
 * configured to tell the attribution baggage propagator where each request goes. Apps with their own SDK should use
 * these instead of unconfigured ones, or the attribution entries are withheld from every request.
 */
export function createHttpInstrumentations(options: HttpInstrumentationOptions = {}): Instrumentation[] {
  const skip = options.modelHttpSpans === true ? () => false : () => activeModelCall() !== undefined;
  return [
    new HttpInstrumentation({
      ignoreOutgoingRequestHook: skip,
      // Called for every traced outgoing request right before its headers are injected.
      startOutgoingSpanHook: (request) => {
        announceDestination(request.hostname ?? request.host ?? '');
        return {};
      },
    }),
    new UndiciInstrumentation({
      ignoreRequestHook: skip,
      // Called right before the headers are injected ("propagation goes last" in the undici instrumentation).
      requestHook: (_span, request) => announceDestination(hostOfOrigin(request.origin)),
    }),
  ];
}

function hostOfOrigin(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return '';
  }
}
