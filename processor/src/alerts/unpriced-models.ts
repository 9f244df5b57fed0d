import type { LlmCall } from '../ledger/llm-call.js';
import type { Alert } from './alert.js';

const once = new Date(0);

/**
 * Calls that reported tokens yet got no price from the book (unpriced, or priced only from a cost the span
 * reported): their model is missing from the price book. One alert per provider/model, ever.
 */
export function unpricedModelAlerts(calls: readonly LlmCall[], now: Date): Alert[] {
  const seen = new Map<string, { call: LlmCall; count: number }>();
  for (const call of calls) {
    if (call.cost_source === 'computed' || (call.input_tokens === null && call.output_tokens === null)) continue;
    const subject = `${call.provider ?? '(unknown provider)'}/${call.response_model ?? call.request_model ?? '(no model)'}`;
    const entry = seen.get(subject);
    if (entry === undefined) seen.set(subject, { call, count: 1 });
    else entry.count += 1;
  }
  return [...seen].map(([subject, { call, count }]) => ({
    kind: 'unpriced_model' as const,
    subject,
    windowStart: once,
    windowEnd: null,
    threshold: 0,
    observed: null,
    amountNanos: null,
    referenceNanos: null,
    message:
      `First call to ${subject}, which the price book cannot price: its cost is unknown ` +
      `(${call.cost_source === 'reported' ? 'the cost the span reported is used' : 'stored with no cost'}); add the model to a --prices file`,
    details: {
      provider: call.provider,
      model: call.response_model ?? call.request_model,
      request_model: call.request_model,
      service_name: call.service_name,
      team: call.team,
      cost_source: call.cost_source,
      calls_in_batch: count,
    },
    raisedAt: now,
  }));
}
