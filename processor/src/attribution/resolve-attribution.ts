import type { AttributionRule } from '../config/schema.js';
import type { Attributes } from '../otlp/types.js';
import { readString } from '../normalize/read-attribute.js';
import { attributionColumns, attributionKeys, foreignMetadataPrefixes, type Attribution, type RuleColumn } from './keys.js';

export interface CompiledRule {
  match: Array<{ key: string; pattern: RegExp }>;
  set: Partial<Record<RuleColumn, string>>;
}

/** `*` matches any run of characters; everything else is literal. */
export function compileRules(rules: AttributionRule[]): CompiledRule[] {
  return rules.map((rule) => ({
    match: Object.entries(rule.match).map(([key, glob]) => ({ key, pattern: globToRegExp(glob) })),
    set: rule.set,
  }));
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Precedence per key (DESIGN.md): attribute on the span (from baggage) > resource attribute of the emitting
 * service > the first processor rule that matches and sets the key > unallocated (null).
 */
export function resolveAttribution(span: Attributes, resource: Attributes, rules: CompiledRule[]): Attribution {
  const result = {} as Attribution;
  for (const column of attributionColumns) {
    const keys = attributionKeys[column];
    result[column] = readString(span, ...keys) ?? readString(span, ...foreignKeys[column]) ?? readString(resource, ...keys);
  }
  for (const rule of rules) {
    if (!rule.match.every(({ key, pattern }) => matches(span, resource, key, pattern))) continue;
    for (const [column, value] of Object.entries(rule.set) as Array<[RuleColumn, string]>) {
      result[column] ??= value;
    }
  }
  return result;
}

function matches(span: Attributes, resource: Attributes, key: string, pattern: RegExp): boolean {
  const value = readString(span, key) ?? readString(resource, key);
  return value !== null && pattern.test(value);
}

/** Each column's keys under other instrumentations' metadata prefixes, built once (this runs per span). */
const foreignKeys = Object.fromEntries(
  attributionColumns.map((column) => {
    const names = column === 'user_id' ? ['chargeback.user_id', 'userId', 'user_id'] : [`chargeback.${column}`, column];
    return [column, foreignMetadataPrefixes.flatMap((prefix) => names.map((name) => prefix + name))];
  }),
) as Record<keyof Attribution, string[]>;
