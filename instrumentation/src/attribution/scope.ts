import { context, propagation, type Context } from '@opentelemetry/api';
import { readSettings } from '../config/env.js';
import { ATTRIBUTION_FIELDS, ATTRIBUTION_KEYS, type Attribution } from './keys.js';
import { AttributionError, checkAttribution } from './validate.js';

let strict: boolean | undefined;

/** Overrides `GENAI_CHARGEBACK_STRICT_ATTRIBUTION` (default: strict when NODE_ENV is development or test). */
export function configureAttribution(options: { strict: boolean }): void {
  strict = options.strict;
}

function isStrict(): boolean {
  strict ??= readSettings().settings.strictAttribution;
  return strict;
}

const warned = new Set<string>();
const MAX_DISTINCT_WARNINGS = 100;

function warnOnce(message: string): void {
  if (warned.has(message) || warned.size >= MAX_DISTINCT_WARNINGS) return;
  warned.add(message);
  process.emitWarning(message, { code: 'GENAI_CHARGEBACK_ATTRIBUTION' });
}

/**
 * Runs `fn` with `attribution` in OpenTelemetry baggage, so every GenAI span started inside it (across `await`,
 * timers, event emitters, and HTTP calls to allowed services) is charged to it. Nested scopes merge; the
 * innermost value of a field wins. Invalid fields throw {@link AttributionError} in strict mode; otherwise they
 * are dropped with a process warning and `fn` still runs.
 */
export function withAttribution<R>(attribution: Attribution, fn: () => R): R {
  const check = checkAttribution(attribution);
  if (!check.ok) {
    const message = `invalid chargeback attribution: ${check.issues.join('; ')}`;
    if (isStrict()) throw new AttributionError(message, check.issues);
    warnOnce(`${message} (the other fields are kept)`);
  }
  const active = context.active();
  let baggage = propagation.getBaggage(active) ?? propagation.createBaggage();
  for (const field of ATTRIBUTION_FIELDS) {
    const value = check.value[field];
    if (value !== undefined) baggage = baggage.setEntry(ATTRIBUTION_KEYS[field], { value });
  }
  return context.with(propagation.setBaggage(active, baggage), fn);
}

/** The attribution in effect: set by {@link withAttribution} here or received as baggage from the calling service. */
export function getAttribution(ctx: Context = context.active()): Attribution {
  const out: Attribution = {};
  const baggage = propagation.getBaggage(ctx);
  if (!baggage) return out;
  for (const field of ATTRIBUTION_FIELDS) {
    const entry = baggage.getEntry(ATTRIBUTION_KEYS[field]);
    if (entry !== undefined) out[field] = entry.value;
  }
  return out;
}
