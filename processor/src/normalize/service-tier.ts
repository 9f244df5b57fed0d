import type { Attributes } from '../otlp/types.js';
import { readString } from './read-attribute.js';

/**
 * The tier the response says served the call, else the one requested: OpenAI may serve a Priority request on the
 * default tier. A request for `auto` (the project's default) prices as standard, like `default`.
 */
export function readServiceTier(attributes: Attributes): string | null {
  return readString(
    attributes,
    'openai.response.service_tier',
    'gen_ai.openai.response.service_tier',
    'openai.request.service_tier',
    'gen_ai.openai.request.service_tier',
  );
}

/** The key under which the ledger's `attributes` column keeps the non-standard service tier a call was priced for. */
export const STORED_SERVICE_TIER_KEY = 'chargeback.service_tier';

/** The non-standard service tier a stored call was priced for (its `attributes` JSON), or null: standard. */
export function readStoredServiceTier(attributesJson: string): string | null {
  let attributes: unknown;
  try {
    attributes = JSON.parse(attributesJson);
  } catch {
    return null;
  }
  const tier = typeof attributes === 'object' && attributes !== null ? (attributes as Record<string, unknown>)[STORED_SERVICE_TIER_KEY] : undefined;
  return typeof tier === 'string' ? tier : null;
}
