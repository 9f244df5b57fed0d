/**
 * How a model id on a span maps to a price-book key. Tried in order, first hit wins:
 *   1. the id as sent (so an exact entry such as `gpt-4o-2024-05-13` keeps its own price);
 *   2. without a vendor/path prefix (`openai/gpt-4.1`, `models/gemini-2.5-pro` → the last path segment);
 *   3. the base id: one dated or moving-alias suffix removed —
 *      `-2025-04-14` (OpenAI snapshots), `-20250929` (Anthropic snapshots), `@20250929` (Vertex-style),
 *      `-latest`, and Gemini's three-digit stable versions (`gemini-2.0-flash-001`).
 * Four-digit suffixes are NOT stripped: Mistral's `-2411` / `-2512` and OpenAI's old `-0613` are different
 * models with different prices. OpenAI fine-tunes (`ft:…`) are billed at fine-tune rates, never at the base
 * model's: they resolve only to an entry that names them exactly.
 */

const baseSuffixes = [/-\d{4}-\d{2}-\d{2}$/, /-\d{8}$/, /@\d{8}$/, /-latest$/, /(?<=^gemini-.*)-\d{3}$/];

/** Lower-cased candidate keys for a model id, most specific first. */
export function modelCandidates(model: string): string[] {
  const exact = model.trim().toLowerCase();
  const candidates = [exact];
  const unprefixed = exact.slice(exact.lastIndexOf('/') + 1);
  if (unprefixed !== exact && unprefixed !== '') candidates.push(unprefixed);
  if (unprefixed.startsWith('ft:')) return candidates;
  for (const suffix of baseSuffixes) {
    const base = unprefixed.replace(suffix, '');
    if (base !== unprefixed && base !== '') {
      candidates.push(base);
      break;
    }
  }
  return candidates;
}

/** The base id a model id resolves to (the least specific candidate): how reports and reconciliation group models. */
export function baseModelId(model: string): string {
  return modelCandidates(model).at(-1) as string;
}
