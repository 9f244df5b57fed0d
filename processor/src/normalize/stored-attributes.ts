import type { AttributeValue, Attributes } from '../otlp/types.js';
import { isDerivedKey } from './derived-attributes.js';

/** Prompt and completion content is never stored (DESIGN.md); these keys and prefixes carry it. */
const contentPrefixes = [
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.request.messages',
  'gen_ai.response.messages',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'llm.prompts',
  'llm.completions',
  'ai.prompt',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.response.reasoning',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.values',
  'ai.value',
  'ai.embedding',
  'traceloop.entity.input',
  'traceloop.entity.output',
];

/** Keys already stored in their own columns. */
const columnKeys = new Set([
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.operation.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.response.id',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'error.type',
  'chargeback.team',
  'chargeback.project',
  'chargeback.feature',
  'chargeback.customer',
  'chargeback.action',
  'user.id',
  'deployment.environment.name',
]);

/** Keys the processor writes itself: a span's own value for them is left out, so they always mean what they say. */
function isProcessorKey(key: string): boolean {
  return key === 'chargeback.attributes_dropped' || isDerivedKey(key);
}

const contentKeyPattern = new RegExp(`^(${contentPrefixes.map((p) => p.replace(/\./g, '\\.')).join('|')})([._]|$)`);

export function isContentAttribute(key: string): boolean {
  return contentKeyPattern.test(key);
}

/**
 * Whether a span's value for a key goes into the `attributes` column, remembered by key: the same keys come in
 * every span, and the checks (a column key, a processor key, two dozen content prefixes) cost ~1 µs a call. Cleared
 * when full, so spans with ever new keys only make it slower.
 */
const storedKeys = new Map<string, boolean>();
const maxRememberedKeys = 4_096;

function isStoredKey(key: string): boolean {
  let stored = storedKeys.get(key);
  if (stored === undefined) {
    stored = !(columnKeys.has(key) || isProcessorKey(key) || isContentAttribute(key));
    if (storedKeys.size >= maxRememberedKeys) storedKeys.clear();
    storedKeys.set(key, stored);
  }
  return stored;
}

/** Characters of the `attributes` JSON kept per call; beyond it whole attributes are left out (see below). */
export const maxStoredAttributesChars = 65_536;
/** Room kept for the `chargeback.attributes_dropped` entry. */
const droppedEntryReserve = 48;

/**
 * The span's remaining non-content attributes as a JSON object string (the `attributes` column), after what the
 * processor `derived` from the span (first, so the cap below never drops it), at most `maxStoredAttributesChars`
 * long: past it, attributes are left out whole, in key order, and `chargeback.attributes_dropped` says how many.
 * Within the caps a span may carry ~256 values of 8,192 characters, which JSON escaping can make 6 times longer:
 * more than DuckDB's CSV reader takes on one line (2,000,000 bytes), and a row it refuses fails its whole group's
 * commit on every retry. A `__proto__` key is defined as data: assigned, it would set the object's prototype and
 * vanish from the JSON.
 */
export function storedAttributesJson(attributes: Attributes, derived: Readonly<Record<string, string>> = {}): string {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(attributes)) {
    if (!isStoredKey(key)) continue;
    const value = toJson(attributes[key] as AttributeValue);
    if (key === '__proto__') Object.defineProperty(kept, key, { value, enumerable: true, writable: true, configurable: true });
    else kept[key] = value;
  }
  // Spread, not assigned: a `__proto__` data property stays data. The copy only for the few calls with derived keys.
  const json = JSON.stringify(Object.keys(derived).length === 0 ? kept : { ...derived, ...kept });
  return json.length <= maxStoredAttributesChars ? json : withinBudget(derived, kept);
}

/**
 * The derived entries first (written out one by one: an object would list integer-like span keys such as "0" ahead
 * of them), then the kept attributes that fit `maxStoredAttributesChars`, in key order, and how many did not.
 */
function withinBudget(derived: Readonly<Record<string, string>>, kept: Record<string, unknown>): string {
  const entries = Object.entries(derived).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  let length = 2 + entries.reduce((sum, entry) => sum + entry.length + 1, 0);
  let dropped = 0;
  for (const [key, value] of Object.entries(kept)) {
    const entry = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    if (length + entry.length + 1 > maxStoredAttributesChars - droppedEntryReserve) {
      dropped += 1;
      continue;
    }
    entries.push(entry);
    length += entry.length + 1;
  }
  entries.push(`"chargeback.attributes_dropped":${dropped}`);
  return `{${entries.join(',')}}`;
}

function toJson(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}
