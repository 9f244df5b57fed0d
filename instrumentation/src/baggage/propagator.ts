import { propagation, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { isAttributionKey } from '../attribution/keys.js';
import { isProviderRequest } from '../genai/call-context.js';
import { takeDestination } from './destination.js';
import type { HostAllowlist } from './host-allowlist.js';

/**
 * W3C baggage that keeps the attribution entries inside the company: they are injected only into requests to
 * allowed hosts, never into a model provider's (any request an SDK client sends, model call or not) nor where the
 * destination is unknown. Other baggage entries pass as usual. Extraction is unchanged.
 */
export class AttributionBaggagePropagator implements TextMapPropagator {
  private readonly w3c = new W3CBaggagePropagator();

  constructor(private readonly allowlist: HostAllowlist) {}

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const destination = takeDestination();
    const baggage = propagation.getBaggage(ctx);
    if (baggage === undefined) return;
    const allowed = destination !== undefined && !isProviderRequest(ctx) && this.allowlist.allows(destination);
    if (allowed) {
      this.w3c.inject(ctx, carrier, setter);
      return;
    }
    const kept = baggage.getAllEntries().filter(([key]) => !isAttributionKey(key));
    if (kept.length === 0) return;
    this.w3c.inject(propagation.setBaggage(ctx, propagation.createBaggage(Object.fromEntries(kept))), carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.w3c.extract(ctx, carrier, getter);
  }

  fields(): string[] {
    return this.w3c.fields();
  }
}
