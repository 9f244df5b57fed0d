/** Names under which providers report their standard tier (OpenAI `default`, `auto`; Anthropic `standard`). */
export const standardServiceTiers: ReadonlySet<string> = new Set(['default', 'standard', 'auto']);

/**
 * The service tier that prices a call, in lower case: null for the standard tier (priced by the entry's own
 * rates) and when none is known.
 */
export function nonStandardServiceTier(tier: string | null | undefined): string | null {
  const name = tier?.trim().toLowerCase();
  return name === undefined || name === '' || standardServiceTiers.has(name) ? null : name;
}
