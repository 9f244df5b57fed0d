import type { LlmCall } from '../ledger/llm-call.js';
import { readStoredDerived } from '../normalize/derived-attributes.js';
import { alertKey, type Alert } from './alert.js';

const once = new Date(0);
const dayMs = 86_400_000;

/** A UTC day (days since 1970-01-01) and the new unpriced models alerted one by one in it. */
interface AlertedToday {
  day: number;
  raised: number;
}

/**
 * Unpriced-model alerts with a daily allowance: model names come from telemetry, and a client that sends a new
 * one per call (a request id in the model field) must not raise, store and send an alert per call. Past
 * `perDay` new models in a UTC day, one summary alert says so and the rest wait: a model not alerted today is
 * alerted the first day it is seen within the allowance.
 */
export class UnpricedModelAlerter {
  private constructor(
    private readonly perDay: number,
    private today: AlertedToday,
  ) {}

  /** Starts from what the alerts table says about today (`raisedSince`), so a restart does not reopen its allowance. */
  static async open(perDay: number, now: Date, raisedSince: (kind: 'unpriced_model', windowStart: Date, since: Date) => Promise<number>): Promise<UnpricedModelAlerter> {
    const day = Math.floor(now.getTime() / dayMs);
    return new UnpricedModelAlerter(perDay, { day, raised: await raisedSince('unpriced_model', once, new Date(day * dayMs)) });
  }

  /** The alerts to raise for these stored calls, given which keys were raised before. */
  alerts(calls: readonly LlmCall[], now: Date, wasRaised: (key: string) => boolean): Alert[] {
    const day = Math.floor(now.getTime() / dayMs);
    if (day !== this.today.day) this.today = { day, raised: 0 };
    const fresh = unpricedModelAlerts(calls, now).filter((alert) => !wasRaised(alertKey(alert)));
    const allowed = fresh.slice(0, Math.max(0, this.perDay - this.today.raised));
    this.today.raised += allowed.length;
    const held = fresh.slice(allowed.length);
    const summary = held.length > 0 ? limitReachedAlert(held, this.perDay, day, now) : null;
    return summary === null || wasRaised(alertKey(summary)) ? allowed : [...allowed, summary];
  }
}

function limitReachedAlert(held: readonly Alert[], perDay: number, day: number, now: Date): Alert {
  return {
    kind: 'unpriced_model',
    subject: '(more models)',
    windowStart: new Date(day * dayMs),
    windowEnd: new Date((day + 1) * dayMs),
    threshold: perDay,
    observed: null,
    amountNanos: null,
    referenceNanos: null,
    message:
      `More than ${perDay} models the price book cannot price today (UTC), e.g. ${held[0]?.subject ?? ''}: the others are ` +
      `not alerted one by one until tomorrow; their calls are in llm_calls with cost_source 'unpriced' or 'reported'`,
    details: { per_day: perDay, first_held: held.map((alert) => alert.subject).slice(0, 10) },
    raisedAt: now,
  };
}

/**
 * Calls that reported tokens yet got no price from the book (unpriced, or priced only from a cost the span
 * reported): their model, its rates for the service tier that served them, or its fee for a hosted tool they used
 * (web or file search) is missing from the price book. One alert per provider/model (and non-standard tier, and tools), ever.
 */
function unpricedModelAlerts(calls: readonly LlmCall[], now: Date): Alert[] {
  const seen = new Map<string, { call: LlmCall; count: number; tier: string | null; tools: string[] }>();
  for (const call of calls) {
    if (call.cost_source === 'computed' || (call.input_tokens === null && call.output_tokens === null)) continue;
    const derived = readStoredDerived(call.attributes);
    const tier = derived.serviceTier;
    const model = `${call.provider ?? '(unknown provider)'}/${call.response_model ?? call.request_model ?? '(no model)'}`;
    // The tools only when their fee is what the book lacks: a call to an unknown model is about the model.
    const tools = derived.unpricedReason === 'unknown_tool_fee' ? derived.tools : [];
    const subject = `${model}${tier === null ? '' : ` on service tier ${tier}`}${tools.length === 0 ? '' : ` with ${tools.join(', ')}`}`;
    const entry = seen.get(subject);
    if (entry === undefined) seen.set(subject, { call, count: 1, tier, tools });
    else entry.count += 1;
  }
  return [...seen].map(([subject, { call, count, tier, tools }]) => ({
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
      `(${call.cost_source === 'reported' ? 'the cost the span reported is used' : 'stored with no cost'}); add the model to a --prices file` +
      (tier === null ? '' : `, with rates for that tier (service_tiers.${tier})`) +
      (tools.length === 0 ? '' : `, with a fee per call of ${tools.join(', ')} (per_tool_call)`),
    details: {
      provider: call.provider,
      model: call.response_model ?? call.request_model,
      request_model: call.request_model,
      service_tier: tier,
      hosted_tools: tools,
      service_name: call.service_name,
      team: call.team,
      cost_source: call.cost_source,
      calls_in_batch: count,
    },
    raisedAt: now,
  }));
}
