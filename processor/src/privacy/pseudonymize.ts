import { createHmac } from 'node:crypto';
import { attributionKeys, foreignMetadataPrefixes } from '../attribution/keys.js';
import type { AttributeValue, Attributes } from '../otlp/types.js';
import type { SpanPass } from '../pipeline/span-pass.js';

/** Every attribute that can carry an end-user id (see resolveAttribution and the foreign metadata prefixes). */
export const userIdKeys: readonly string[] = [
  ...attributionKeys.user_id,
  ...foreignMetadataPrefixes.flatMap((prefix) => ['chargeback.user_id', 'userId', 'user_id'].map((name) => prefix + name)),
];

const cacheLimit = 10_000;

/**
 * Keyed pseudonyms for user ids: `u_` + the first 128 bits of HMAC-SHA256(key, id) in hex. The same id always
 * gives the same pseudonym (analysts can still count and group by user), and without the key it cannot be
 * reversed or recomputed from a guessed id. A small cache keeps the hot path to one Map lookup per span.
 */
export class UserIdPseudonymizer {
  private readonly cache = new Map<string, string>();

  constructor(private readonly key: string) {}

  pseudonym(id: string): string {
    let value = this.cache.get(id);
    if (value === undefined) {
      value = `u_${createHmac('sha256', this.key).update(id, 'utf8').digest('hex').slice(0, 32)}`;
      if (this.cache.size >= cacheLimit) this.cache.clear();
      this.cache.set(id, value);
    }
    return value;
  }

  /** Replaces user ids in span and resource attributes, in place, before anything reads them. */
  pass(): SpanPass {
    return (traces) => {
      const seenResources = new Set<Attributes>();
      for (const span of traces.spans) {
        this.replaceIn(span.attributes);
        // Spans of one ResourceSpans share their resource object: rewrite it once.
        if (!seenResources.has(span.resource)) {
          seenResources.add(span.resource);
          this.replaceIn(span.resource);
        }
      }
      return traces;
    };
  }

  private replaceIn(attributes: Attributes): void {
    for (const key of userIdKeys) {
      const value = attributes[key];
      if (value === undefined) continue;
      attributes[key] = this.pseudonymValue(value);
    }
  }

  private pseudonymValue(value: AttributeValue): AttributeValue {
    if (typeof value === 'string') return value === '' ? value : this.pseudonym(value);
    if (typeof value === 'number' || typeof value === 'bigint') return this.pseudonym(String(value));
    // Not a usable id (bool, bytes, list, map): dropped rather than stored as it is.
    return null;
  }
}
