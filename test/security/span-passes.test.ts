import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../processor/src/attribution/resolve-attribution.js';
import type { Principal } from '../../processor/src/auth/principal.js';
import { REFUSED_BY_KEY, REFUSED_TEAM_KEY, teamBindingPass } from '../../processor/src/auth/team-binding.js';
import { applyLimits } from '../../processor/src/limits/apply-limits.js';
import { limitsSchema } from '../../processor/src/limits/limits-config.js';
import type { AttributeValue, Attributes, DecodedTraces } from '../../processor/src/otlp/types.js';
import { UserIdPseudonymizer } from '../../processor/src/privacy/pseudonymize.js';
import { makeSpan } from '../support/spans.js';

const traces = (...spans: ReturnType<typeof makeSpan>[]): DecodedTraces => ({ spans, rejectedSpans: 0, rejectionMessage: '' });
const context = (principal?: string) => ({ transport: 'http' as const, requestId: 'r1', ...(principal === undefined ? {} : { principal }) });

describe('team binding', () => {
  const principal = (onTeamMismatch: Principal['onTeamMismatch']): Principal => ({ name: 'search-svc', access: 'ingest', teams: new Set(['search']), onTeamMismatch });
  const rules = compileRules([{ match: { 'service.name': 'billing-*' }, set: { team: 'billing' } }]);

  it('unallocates a span claiming another team, on the span or its resource, and flags the claim and the token', () => {
    const counters = { unallocated: 0, rejected: 0 };
    const pass = teamBindingPass(new Map([['search-svc', principal('unallocate')]]), rules, counters);
    const sharedResource: Attributes = { 'service.name': 'api', 'chargeback.team': 'billing' };
    const own = makeSpan({ attributes: { 'chargeback.team': 'search' } });
    const foreign = makeSpan({ attributes: { 'chargeback.team': 'growth', 'traceloop.association.properties.team': 'growth' } });
    const viaResource = makeSpan({ resource: sharedResource });
    const viaRule = makeSpan({ resource: { 'service.name': 'billing-worker' } });
    const result = pass(traces(own, foreign, viaResource, viaRule), context('search-svc'));

    expect(result.spans).toHaveLength(4);
    expect(result.rejectedSpans).toBe(0);
    expect(own.attributes).toEqual({ 'chargeback.team': 'search' });
    expect(foreign.attributes).toEqual({ [REFUSED_TEAM_KEY]: 'growth', [REFUSED_BY_KEY]: 'search-svc' });
    expect(viaResource.resource).toEqual({ 'service.name': 'api' });
    expect(sharedResource['chargeback.team']).toBe('billing');
    expect(viaResource.attributes).toEqual({ [REFUSED_TEAM_KEY]: 'billing', [REFUSED_BY_KEY]: 'search-svc' });
    expect(viaRule.attributes).toEqual({ [REFUSED_TEAM_KEY]: 'billing', [REFUSED_BY_KEY]: 'search-svc' });
    expect(counters).toEqual({ unallocated: 3, rejected: 0 });
  });

  it('rejects such spans instead when the token says so, counted in the partial success', () => {
    const pass = teamBindingPass(new Map([['search-svc', principal('reject')]]), []);
    const own = makeSpan({ attributes: { 'chargeback.team': 'search' } });
    const foreign = makeSpan({ spanId: '00000000000000f1', attributes: { 'chargeback.team': 'growth' } });
    const result = pass({ spans: [own, foreign], rejectedSpans: 2, rejectionMessage: 'earlier problem' }, context('search-svc'));
    expect(result.spans).toEqual([own]);
    expect(result.rejectedSpans).toBe(3);
    expect(result.rejectionMessage).toBe('earlier problem');
    expect(pass(traces(makeSpan({ spanId: '00000000000000f2', attributes: { 'chargeback.team': 'growth' } })), context('search-svc')).rejectionMessage).toBe(
      'span 00000000000000f2: team "growth" may not be claimed with ingest token "search-svc" (allowed: search)',
    );
  });

  it('lets unbound tokens claim any team, but never lets a span bring its own refusal flags', () => {
    const pass = teamBindingPass(new Map([['any', { ...principal('reject'), name: 'any', teams: null }]]), []);
    const span = makeSpan({ attributes: { 'chargeback.team': 'growth', [REFUSED_BY_KEY]: 'someone-else', [REFUSED_TEAM_KEY]: 'x' } });
    expect(pass(traces(span), context('any')).spans).toEqual([span]);
    expect(span.attributes).toEqual({ 'chargeback.team': 'growth' });
  });
});

describe('user id pseudonymization', () => {
  const key = 'k'.repeat(32);
  const expected = (id: string) => `u_${createHmac('sha256', key).update(id).digest('hex').slice(0, 32)}`;

  it('replaces every user id attribute, on spans and once on their shared resource, with a stable keyed hash', () => {
    const pass = new UserIdPseudonymizer(key).pass();
    const resource: Attributes = { 'service.name': 'api', 'enduser.id': 'bob' };
    const first = makeSpan({ resource, attributes: { 'user.id': 'alice@example.com', 'ai.telemetry.metadata.userId': 'carol', other: 'kept' } });
    const second = makeSpan({ resource, attributes: { 'user.id': 42, 'traceloop.association.properties.user_id': ['not', 'an', 'id'] } });
    pass(traces(first, second), context());
    expect(first.attributes).toEqual({ 'user.id': expected('alice@example.com'), 'ai.telemetry.metadata.userId': expected('carol'), other: 'kept' });
    expect(second.attributes).toEqual({ 'user.id': expected('42'), 'traceloop.association.properties.user_id': null });
    expect(resource).toEqual({ 'service.name': 'api', 'enduser.id': expected('bob') });
    expect(new UserIdPseudonymizer(key).pseudonym('alice@example.com')).toBe(first.attributes['user.id']);
    expect(new UserIdPseudonymizer('another key of 32 characters!!!!').pseudonym('alice@example.com')).not.toBe(first.attributes['user.id']);
  });
});

describe('caps', () => {
  const limits = limitsSchema.parse({
    max_spans_per_request: 3,
    max_attributes_per_span: 4,
    max_attribute_key_length: 10,
    max_attribute_value_length: 5,
    max_array_length: 2,
    max_value_depth: 2,
  });
  // Spans without resource attributes, so only what each test sets meets the caps.
  const bare = (overrides: Parameters<typeof makeSpan>[0] = {}) => makeSpan({ resource: {}, ...overrides });
  const nest = (depth: number): AttributeValue => (depth === 0 ? 'x' : [nest(depth - 1)]);

  it('truncates long strings, bytes, arrays and maps, without splitting a surrogate pair, and counts them', () => {
    const span = bare({
      name: 'a very long span name',
      attributes: { s: 'abcdefgh', emoji: 'abcd😀', list: ['1234567', 'b', 'c'], map: { a: 1, b: new Uint8Array(9), c: 3 } },
    });
    const outcome = applyLimits(traces(span), limits);
    expect(outcome.rejectedSpans).toBe(0);
    expect(outcome.truncatedValues).toBe(7);
    expect(span.name).toBe('a ver');
    expect(span.attributes).toEqual({ s: 'abcde', emoji: 'abcd', list: ['12345', 'b'], map: { a: 1, b: new Uint8Array(5) } });
  });

  it('rejects spans over the count, key and depth caps, and spans past the request cap, naming the rule', () => {
    const ok = bare({ attributes: { a: nest(2) } });
    const many = bare({ spanId: '00000000000000a1', attributes: { a: 1, b: 2, c: 3, d: 4, e: 5 } });
    const longKey = bare({ spanId: '00000000000000a2', attributes: { 'a.very.long.key': 1 } });
    const deep = bare({ spanId: '00000000000000a3', attributes: { a: nest(3) } });
    const outcome = applyLimits(traces(ok, many, longKey, deep), limits);
    expect(outcome.traces.spans).toEqual([ok]);
    expect(outcome.rejectedSpans).toBe(3);
    expect(outcome.traces.rejectedSpans).toBe(3);
    expect(outcome.traces.rejectionMessage).toBe('span 00000000000000a1: attributes: 5 attributes, over the cap of 4');
    expect(applyLimits(traces(longKey), limits).traces.rejectionMessage).toBe('span 00000000000000a2: attributes: a key of 15 characters, over the cap of 10');
    expect(applyLimits(traces(deep), limits).traces.rejectionMessage).toBe('span 00000000000000a3: attributes: values nested deeper than 2 levels');
    const four = [1, 2, 3, 4].map(() => bare());
    const capped = applyLimits(traces(...four), limits);
    expect(capped.traces.spans).toEqual(four.slice(0, 3));
    expect(capped.traces.rejectionMessage).toBe('the request carries 4 spans, over the cap of 3; send smaller batches');
  });

  it('rejects every span of a resource over the attribute cap, checking the resource once', () => {
    const resource: Attributes = { a: 1, b: 2, c: 3, d: 4, e: 5 };
    const outcome = applyLimits(traces(bare({ resource }), bare({ resource }), bare()), limits);
    expect(outcome.traces.spans).toHaveLength(1);
    expect(outcome.rejectedSpans).toBe(2);
    expect(outcome.traces.rejectionMessage).toMatch(/: resource: 5 attributes, over the cap of 4$/);
  });
});
