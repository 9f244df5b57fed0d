import { diag, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AttributionBaggagePropagator } from '../baggage/propagator.js';
import type { HostAllowlist } from '../baggage/host-allowlist.js';
import { listFromEnv } from './exporters.js';

/**
 * W3C trace context and baggage, per `OTEL_PROPAGATORS` (tracecontext, baggage, none; default both). The baggage
 * propagator withholds the attribution entries from hosts outside `allowlist`.
 */
export function createPropagatorFromEnv(allowlist: HostAllowlist, env: Record<string, string | undefined> = process.env): TextMapPropagator {
  const names = listFromEnv(env['OTEL_PROPAGATORS']) ?? ['tracecontext', 'baggage'];
  const propagators: TextMapPropagator[] = [];
  if (!names.includes('none')) {
    for (const name of new Set(names)) {
      if (name === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
      else if (name === 'baggage') propagators.push(new AttributionBaggagePropagator(allowlist));
      else diag.warn(`OTEL_PROPAGATORS value "${name}" is not supported by @genai-chargeback/instrumentation; use tracecontext, baggage or none`);
    }
  }
  return new CompositePropagator({ propagators });
}
