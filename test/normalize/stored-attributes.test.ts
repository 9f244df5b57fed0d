import { describe, expect, it } from 'vitest';
import { maxStoredAttributesChars, storedAttributesJson } from '../../processor/src/normalize/stored-attributes.js';
import type { Attributes } from '../../processor/src/otlp/types.js';

describe('the stored attributes (llm_calls.attributes)', () => {
  it('keeps the remaining attributes as JSON: no content, no column keys; bigints as text, bytes as base64, __proto__ as data', () => {
    const attributes: Attributes = {
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.prompt.0.content': 'secret question',
      'gen_ai.input.messages': '[{"role":"user"}]',
      'http.route': '/api/search',
      'retry.count': 12345678901234567890n,
      'payload.digest': Uint8Array.of(1, 2, 255),
      'nested': { a: [1, 'b'], inner: 7n },
      'ratio': Number.NaN,
    };
    Object.defineProperty(attributes, '__proto__', { value: 'kept', enumerable: true });
    expect(JSON.parse(storedAttributesJson(attributes))).toStrictEqual(
      JSON.parse('{"http.route":"/api/search","retry.count":"12345678901234567890","payload.digest":"AQL/","nested":{"a":[1,"b"],"inner":"7"},"ratio":null,"__proto__":"kept"}'),
    );
  });

  it('keeps deciding each key the same way while spans bring thousands of new keys (its memory of keys is bounded)', () => {
    const decided = (i: number) => JSON.parse(storedAttributesJson({ [`gen_ai.prompt.${i}.content`]: 'secret', [`app.key.${i}`]: i, 'gen_ai.request.model': 'm' }));
    for (let i = 0; i < 10_000; i++) expect(decided(i % 5_000)).toStrictEqual({ [`app.key.${i % 5_000}`]: i % 5_000 });
  });

  it(`leaves whole attributes out past ${maxStoredAttributesChars} characters, in key order, and counts them`, () => {
    // Control characters are escaped as \u00XX: 6 characters of JSON each.
    const attributes: Attributes = { first: 'kept' };
    for (let i = 0; i < 12; i++) attributes[`value.${i}`] = '\u0001'.repeat(1_000);
    attributes.last = 'short, but after the budget ran out';
    const json = storedAttributesJson(attributes);
    expect(json.length).toBeLessThanOrEqual(maxStoredAttributesChars);
    const stored = JSON.parse(json) as Record<string, unknown>;
    // 10 escaped values of 6,000 characters fit in 65,536 with the first; the 11th and 12th do not; a short one after them does.
    expect(Object.keys(stored)).toStrictEqual(['first', ...Array.from({ length: 10 }, (_, i) => `value.${i}`), 'last', 'chargeback.attributes_dropped']);
    expect(stored['chargeback.attributes_dropped']).toBe(2);
  });

  it("puts what the processor derived first, so the cap never drops it, and leaves out a span's own values for those keys", () => {
    // Integer-like keys come first in a JavaScript object: the derived key must still be written before them.
    const attributes: Attributes = { 'chargeback.service_tier': 'spoofed', 'chargeback.attributes_dropped': 99, '0': '\u0001'.repeat(8_192) };
    for (let i = 0; i < 12; i++) attributes[`value.${i}`] = '\u0001'.repeat(1_000);
    const stored = JSON.parse(storedAttributesJson(attributes, { 'chargeback.service_tier': 'flex' })) as Record<string, unknown>;
    expect(storedAttributesJson(attributes, { 'chargeback.service_tier': 'flex' }).startsWith('{"chargeback.service_tier":"flex",')).toBe(true);
    expect(stored['chargeback.service_tier']).toBe('flex');
    expect(stored['chargeback.attributes_dropped']).toBe(10); // "0" (49,152 characters escaped) and two values fit
    expect(JSON.parse(storedAttributesJson({ 'chargeback.service_tier': 'spoofed', 'http.route': '/a' }))).toStrictEqual({ 'http.route': '/a' });
  });
});
