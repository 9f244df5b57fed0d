import type { AttributeValue, Attributes, DecodedSpan, DecodedTraces } from '../otlp/types.js';
import { rejectSpans } from '../pipeline/span-pass.js';
import type { LimitsConfig } from './limits-config.js';

export interface LimitsOutcome {
  traces: DecodedTraces;
  /** Spans rejected by a cap (also added to `traces.rejectedSpans`). */
  rejectedSpans: number;
  /** Strings, byte values, arrays and maps shortened to their cap. */
  truncatedValues: number;
}

/**
 * Applies the caps to a decoded request (rules in limits-config.ts). Truncation rewrites values in place: the
 * decoded request belongs to this export alone. A resource shared by many spans is checked once.
 */
export function applyLimits(traces: DecodedTraces, limits: LimitsConfig): LimitsOutcome {
  const walker = new LimitWalker(limits);
  const reasons = new Map<number, string>();
  const resourceProblems = new Map<Attributes, string | undefined>();
  traces.spans.forEach((span, index) => {
    if (index >= limits.max_spans_per_request) {
      reasons.set(index, `the request carries ${traces.spans.length} spans, over the cap of ${limits.max_spans_per_request}; send smaller batches`);
      return;
    }
    let resourceProblem = resourceProblems.get(span.resource);
    if (!resourceProblems.has(span.resource)) {
      resourceProblem = walker.attributes(span.resource, 'resource');
      resourceProblems.set(span.resource, resourceProblem);
    }
    const problem = resourceProblem ?? walker.span(span);
    if (problem !== undefined) reasons.set(index, `span ${span.spanId}: ${problem}`);
  });
  return { traces: rejectSpans(traces, reasons), rejectedSpans: reasons.size, truncatedValues: walker.truncated };
}

class LimitWalker {
  truncated = 0;

  constructor(private readonly limits: LimitsConfig) {}

  /** Why the span must be rejected, or undefined once its values are within the caps. */
  span(span: DecodedSpan): string | undefined {
    span.name = this.string(span.name);
    span.statusMessage = this.string(span.statusMessage);
    if (span.links.length > this.limits.max_array_length) {
      span.links.length = this.limits.max_array_length;
      this.truncated++;
    }
    const problem = this.attributes(span.attributes, 'attributes');
    if (problem !== undefined) return problem;
    for (const [index, link] of span.links.entries()) {
      const linkProblem = this.attributes(link.attributes, `links[${index}].attributes`);
      if (linkProblem !== undefined) return linkProblem;
    }
    return undefined;
  }

  attributes(attributes: Attributes, where: string): string | undefined {
    const keys = Object.keys(attributes);
    if (keys.length > this.limits.max_attributes_per_span) {
      return `${where}: ${keys.length} attributes, over the cap of ${this.limits.max_attributes_per_span}`;
    }
    return this.entries(attributes, keys, where, 0);
  }

  private entries(map: Attributes, keys: string[], where: string, depth: number): string | undefined {
    for (const key of keys) {
      if (key.length > this.limits.max_attribute_key_length) {
        return `${where}: a key of ${key.length} characters, over the cap of ${this.limits.max_attribute_key_length}`;
      }
      const value = map[key] as AttributeValue;
      if (typeof value === 'string') {
        if (value.length > this.limits.max_attribute_value_length) map[key] = this.string(value);
      } else if (value !== null && typeof value === 'object') {
        const problem = this.nested(map, key, value, where, depth + 1);
        if (problem !== undefined) return problem;
      }
    }
    return undefined;
  }

  /** Arrays, maps and bytes inside an attribute value; `depth` counts the levels of nesting. */
  private nested(parent: Attributes | AttributeValue[], slot: string | number, value: object, where: string, depth: number): string | undefined {
    const set = (next: AttributeValue) => ((parent as Record<string | number, AttributeValue>)[slot] = next);
    if (value instanceof Uint8Array) {
      if (value.length > this.limits.max_attribute_value_length) {
        set(value.subarray(0, this.limits.max_attribute_value_length));
        this.truncated++;
      }
      return undefined;
    }
    if (depth > this.limits.max_value_depth) return `${where}: values nested deeper than ${this.limits.max_value_depth} levels`;
    if (Array.isArray(value)) {
      if (value.length > this.limits.max_array_length) {
        value.length = this.limits.max_array_length;
        this.truncated++;
      }
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as AttributeValue;
        if (typeof item === 'string') {
          if (item.length > this.limits.max_attribute_value_length) value[i] = this.string(item);
        } else if (item !== null && typeof item === 'object') {
          const problem = this.nested(value, i, item, where, depth + 1);
          if (problem !== undefined) return problem;
        }
      }
      return undefined;
    }
    const map = value as Attributes;
    let keys = Object.keys(map);
    if (keys.length > this.limits.max_array_length) {
      for (const key of keys.slice(this.limits.max_array_length)) delete map[key];
      keys = keys.slice(0, this.limits.max_array_length);
      this.truncated++;
    }
    return this.entries(map, keys, where, depth);
  }

  /** Cut to the cap without splitting a UTF-16 surrogate pair. */
  string(value: string): string {
    const max = this.limits.max_attribute_value_length;
    if (value.length <= max) return value;
    this.truncated++;
    const last = value.charCodeAt(max - 1);
    return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
  }
}
