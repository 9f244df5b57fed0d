import { formatNanos } from '../ledger/money.js';

/**
 * What the processor read from a span, or found pricing it, that the ledger's columns do not show, kept in the
 * `attributes` column under keys of its own (written first, and a span's own values for them dropped), so reports,
 * alerts and reconciliation read one value whatever the span's dialect.
 */
export const STORED_SERVICE_TIER_KEY = 'chargeback.service_tier';
export const STORED_TOOL_CALLS_PREFIX = 'chargeback.tool_calls.';
export const STORED_TOOL_FEE_PREFIX = 'chargeback.tool_fee_usd.';
export const STORED_UNPRICED_REASON_KEY = 'chargeback.unpriced_reason';

export interface DerivedAttributes {
  /** The non-standard service tier the call was priced for; null: standard. */
  serviceTier: string | null;
  /** Hosted-tool calls billed per call, by tool type. */
  toolCalls: ReadonlyMap<string, number>;
  /** Their fees, part of the cost, in nano-dollars; absent when the call was not priced by the book. */
  toolFees?: ReadonlyMap<string, bigint> | undefined;
  /** Why the book could not price the call (`unknown_model`, `unknown_tool_fee`, …); null when it did. */
  unpricedReason?: string | null | undefined;
}

/**
 * `chargeback.service_tier`, `chargeback.tool_calls.<tool>` (count), `chargeback.tool_fee_usd.<tool>` (USD, part of
 * `cost_usd`) and `chargeback.unpriced_reason`, each only when it says something.
 */
export function derivedAttributeEntries(derived: DerivedAttributes): Record<string, string> {
  const entries: Record<string, string> = {};
  if (derived.serviceTier !== null) entries[STORED_SERVICE_TIER_KEY] = derived.serviceTier;
  for (const [tool, count] of derived.toolCalls) entries[STORED_TOOL_CALLS_PREFIX + tool] = String(count);
  for (const [tool, nanos] of derived.toolFees ?? []) entries[STORED_TOOL_FEE_PREFIX + tool] = formatNanos(nanos);
  if (derived.unpricedReason != null) entries[STORED_UNPRICED_REASON_KEY] = derived.unpricedReason;
  return entries;
}

const storedKeys = new Set([STORED_SERVICE_TIER_KEY, STORED_UNPRICED_REASON_KEY]);

/** Whether the processor writes `key` itself (a span's own value for it is not stored). */
export function isDerivedKey(key: string): boolean {
  return storedKeys.has(key) || key.startsWith(STORED_TOOL_CALLS_PREFIX) || key.startsWith(STORED_TOOL_FEE_PREFIX);
}

export interface StoredDerived {
  serviceTier: string | null;
  /** The hosted tools the call used, sorted. */
  tools: string[];
  unpricedReason: string | null;
}

/** The derived entries of a stored call's `attributes` JSON; a row that is not a JSON object has none. */
export function readStoredDerived(attributesJson: string): StoredDerived {
  let attributes: unknown;
  try {
    attributes = JSON.parse(attributesJson);
  } catch {
    attributes = null;
  }
  const record = typeof attributes === 'object' && attributes !== null ? (attributes as Record<string, unknown>) : {};
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : null);
  return {
    serviceTier: text(STORED_SERVICE_TIER_KEY),
    tools: Object.keys(record)
      .filter((key) => key.startsWith(STORED_TOOL_CALLS_PREFIX))
      .map((key) => key.slice(STORED_TOOL_CALLS_PREFIX.length))
      .sort(),
    unpricedReason: text(STORED_UNPRICED_REASON_KEY),
  };
}
