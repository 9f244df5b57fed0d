/**
 * A provider reports dated model ids (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) where the ledger may hold
 * the alias the app asked for, or the other way round; both sides are compared under the base id, as the price book
 * resolves them. Fine-tuned ids (`ft:…`) are their own models and stay as they are.
 *
 * Kept local to reconciliation for now; the pricing module has the same rule and the two can be unified.
 */
const datedSuffixes = [
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI: gpt-4.1-2025-04-14, o3-2025-04-16
  /-20\d{6}$/, // Anthropic: claude-sonnet-4-5-20250929, claude-3-5-haiku-20241022
  /-latest$/, // Anthropic aliases: claude-3-5-sonnet-latest
];

export function baseModelId(model: string): string {
  const id = model.trim().toLowerCase();
  if (id.startsWith('ft:')) return id;
  for (const suffix of datedSuffixes) {
    if (suffix.test(id)) return id.replace(suffix, '');
  }
  return id;
}
