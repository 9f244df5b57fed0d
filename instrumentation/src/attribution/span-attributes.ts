import { propagation, type Attributes, type Context } from '@opentelemetry/api';
import { ATTRIBUTION_KEY_LIST } from './keys.js';

/** The attribution baggage entries of `ctx` as span attributes (same keys). */
export function attributionAttributes(ctx: Context, into: Attributes = {}): Attributes {
  const baggage = propagation.getBaggage(ctx);
  if (!baggage) return into;
  for (const key of ATTRIBUTION_KEY_LIST) {
    const entry = baggage.getEntry(key);
    if (entry !== undefined) into[key] = entry.value;
  }
  return into;
}
