/**
 * The attribution fields and the keys that carry them, both as W3C baggage entries across services
 * and as span attributes (DESIGN.md, "Attribution contract").
 */
export const ATTRIBUTION_KEYS = {
  team: 'chargeback.team',
  project: 'chargeback.project',
  feature: 'chargeback.feature',
  customer: 'chargeback.customer',
  action: 'chargeback.action',
  userId: 'user.id',
  environment: 'deployment.environment.name',
} as const;

export type AttributionField = keyof typeof ATTRIBUTION_KEYS;
export type AttributionKey = (typeof ATTRIBUTION_KEYS)[AttributionField];

/** Who a model call is charged to. Every field is optional; nested scopes merge, the inner value wins. */
export type Attribution = Partial<Record<AttributionField, string>>;

export const ATTRIBUTION_FIELDS = Object.keys(ATTRIBUTION_KEYS) as AttributionField[];
export const ATTRIBUTION_KEY_LIST: readonly AttributionKey[] = Object.values(ATTRIBUTION_KEYS);

const KEY_SET: ReadonlySet<string> = new Set(ATTRIBUTION_KEY_LIST);

export function isAttributionKey(key: string): key is AttributionKey {
  return KEY_SET.has(key);
}
