import { defaultTextMapSetter, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { announceDestination } from '../../instrumentation/src/baggage/destination.js';
import { parseHostAllowlist } from '../../instrumentation/src/baggage/host-allowlist.js';
import { AttributionBaggagePropagator } from '../../instrumentation/src/baggage/propagator.js';
import { MODEL_CALL_KEY } from '../../instrumentation/src/genai/call-context.js';

const propagator = new AttributionBaggagePropagator(parseHostAllowlist('loopback,cluster'));
const withBaggage = propagation.setBaggage(
  ROOT_CONTEXT,
  propagation.createBaggage({ 'chargeback.team': { value: 'search' }, 'user.id': { value: 'u 1' }, 'request.origin': { value: 'web' } }),
);

function inject(destination: string | undefined, ctx = withBaggage): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (destination !== undefined) announceDestination(destination);
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

describe('AttributionBaggagePropagator', () => {
  it('sends every entry to an allowed host', () => {
    expect(inject('billing.team-a.svc')).toEqual({ baggage: 'chargeback.team=search,user.id=u%201,request.origin=web' });
  });

  it('withholds only the attribution entries from other hosts and unknown destinations', () => {
    expect(inject('api.openai.com')).toEqual({ baggage: 'request.origin=web' });
    expect(inject(undefined)).toEqual({ baggage: 'request.origin=web' });
  });

  it('uses each announced destination once', () => {
    inject('localhost');
    expect(inject(undefined)).toEqual({ baggage: 'request.origin=web' });
  });

  it('never sends attribution from inside a model call, whatever the host', () => {
    expect(inject('127.0.0.1', withBaggage.setValue(MODEL_CALL_KEY, { countAttempt: () => undefined }))).toEqual({ baggage: 'request.origin=web' });
  });

  it('sends no header when nothing is left', () => {
    const onlyAttribution = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ 'chargeback.team': { value: 'search' } }));
    expect(inject('api.anthropic.com', onlyAttribution)).toEqual({});
    expect(inject('localhost', ROOT_CONTEXT)).toEqual({});
  });

  it('extracts incoming baggage unchanged', () => {
    const ctx = propagator.extract(ROOT_CONTEXT, { baggage: 'chargeback.team=search,x=1' }, { get: (carrier: Record<string, string>, key) => carrier[key], keys: (carrier) => Object.keys(carrier) });
    expect(propagation.getBaggage(ctx)?.getEntry('chargeback.team')?.value).toBe('search');
    expect(propagator.fields()).toEqual(['baggage']);
  });
});
