import { describe, expect, it } from 'vitest';
import { compileRules, resolveAttribution } from '../../processor/src/attribution/resolve-attribution.js';

const rules = compileRules([
  { match: { 'service.name': 'search-*' }, set: { team: 'search', project: 'web-search' } },
  { match: { 'gen_ai.api_key.id': 'key-batch' }, set: { team: 'data', environment: 'prod' } },
  { match: { 'service.name': '*' }, set: { project: 'fallback-project' } },
]);

describe('resolveAttribution: span > resource > rules > unallocated', () => {
  it('prefers the span attribute (baggage of the originating request) over the resource default', () => {
    const result = resolveAttribution(
      { 'chargeback.team': 'support', 'user.id': 'u-1' },
      { 'service.name': 'search-api', 'chargeback.team': 'platform', 'deployment.environment.name': 'prod' },
      rules,
    );
    expect(result).toEqual({
      team: 'support',
      project: 'web-search',
      feature: null,
      customer: null,
      action: null,
      user_id: 'u-1',
      environment: 'prod',
    });
  });

  it('uses the resource when the span has nothing, then rules, first match per key', () => {
    expect(resolveAttribution({}, { 'service.name': 'search-api' }, rules)).toMatchObject({ team: 'search', project: 'web-search' });
    expect(resolveAttribution({ 'gen_ai.api_key.id': 'key-batch' }, { 'service.name': 'batch' }, rules)).toMatchObject({
      team: 'data',
      project: 'fallback-project',
      environment: 'prod',
    });
  });

  it('leaves the team NULL (unallocated) when nobody says', () => {
    expect(resolveAttribution({}, { 'service.name': 'mystery' }, compileRules([])).team).toBeNull();
  });

  it("reads other instrumentations' metadata prefixes as span attributes", () => {
    expect(resolveAttribution({ 'ai.telemetry.metadata.team': 'growth' }, { 'chargeback.team': 'x' }, []).team).toBe('growth');
    expect(resolveAttribution({ 'traceloop.association.properties.chargeback.customer': 'acme' }, {}, []).customer).toBe('acme');
  });
});
