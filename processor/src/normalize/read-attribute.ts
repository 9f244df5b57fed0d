import type { AttributeValue, Attributes } from '../otlp/types.js';

/** First non-empty string among `keys` (numbers are accepted and stringified: ids are often ints). */
export function readString(attributes: Attributes, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  }
  return null;
}

/** First non-negative integer among `keys`; strings of digits count (some SDKs stringify). */
export function readCount(attributes: Attributes, ...keys: string[]): number | null {
  for (const key of keys) {
    const count = asCount(attributes[key]);
    if (count !== null) return count;
  }
  return null;
}

function asCount(value: AttributeValue | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  if (typeof value === 'bigint') return value >= 0n ? Number(value) : null;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

/** A finite number (int or double, or numeric string). */
export function readNumber(attributes: Attributes, key: string): number | null {
  const value = attributes[key];
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}
