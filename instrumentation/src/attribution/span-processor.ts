import { propagation, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTRIBUTION_KEY_LIST } from './keys.js';

/**
 * Copies the attribution baggage entries (`chargeback.*`, `user.id`, `deployment.environment.name`) onto every
 * span when it starts, so spans of other instrumentations (HTTP servers, other GenAI libraries) carry the owner
 * too. An attribute the span already has is left alone.
 */
export class AttributionSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const baggage = propagation.getBaggage(parentContext);
    if (!baggage) return;
    for (const key of ATTRIBUTION_KEY_LIST) {
      const entry = baggage.getEntry(key);
      if (entry !== undefined && span.attributes[key] === undefined) span.setAttribute(key, entry.value);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
