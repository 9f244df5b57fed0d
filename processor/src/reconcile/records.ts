/**
 * Provider usage and cost records after parsing, one shape for both providers and all report versions.
 * Token kinds are disjoint: `input` is uncached input only, so input + cache_read + cache_write is all input.
 */
export type ReconcileProvider = 'openai' | 'anthropic';
export const reconcileProviders: readonly ReconcileProvider[] = ['openai', 'anthropic'];

export type TokenKind = 'input' | 'cache_read' | 'cache_write' | 'output';
export const tokenKinds: readonly TokenKind[] = ['input', 'cache_read', 'cache_write', 'output'];

export type TokenCounts = Record<TokenKind, bigint>;

export function zeroTokens(): TokenCounts {
  return { input: 0n, cache_read: 0n, cache_write: 0n, output: 0n };
}

/** The dimensions a provider row may carry; null = not grouped by it (or the provider's default, see scope.ts). */
export interface ProviderDimensions {
  /** UTC day of the bucket start, YYYY-MM-DD. */
  day: string;
  /** As reported, possibly dated; null when the report is not grouped by model or the line is not a model charge. */
  model: string | null;
  /** OpenAI `project_id` / Anthropic `workspace_id`. */
  projectId: string | null;
  apiKeyId: string | null;
  /** Service tier as reported (`batch`, `priority`, `flex`, …); OpenAI `batch: true` is recorded as `batch`. */
  tier: string | null;
}

export interface UsageRecord extends ProviderDimensions {
  /** Null when the report has no request count (Anthropic's usage report). */
  requests: bigint | null;
  tokens: TokenCounts;
}

export type CostComponent = TokenKind | 'other';

export interface CostRecord extends ProviderDimensions {
  component: CostComponent;
  /** The provider's own name for the charge (`line_item`, `description`), kept for explanations. */
  label: string | null;
  amountNanos: bigint;
  /** Token quantity the charge is for, when the report says so. */
  quantityTokens: bigint | null;
}

/** What one report file or API fetch contributed. Days are listed even when their buckets were empty. */
export interface ReportPart<R> {
  records: R[];
  days: Set<string>;
  notes: string[];
}

export interface ProviderReport {
  provider: ReconcileProvider;
  usage: ReportPart<UsageRecord> | null;
  costs: ReportPart<CostRecord> | null;
}

export function mergeParts<R>(parts: ReportPart<R>[]): ReportPart<R> | null {
  if (parts.length === 0) return null;
  const merged: ReportPart<R> = { records: [], days: new Set(), notes: [] };
  for (const part of parts) {
    merged.records.push(...part.records);
    for (const day of part.days) merged.days.add(day);
    merged.notes.push(...part.notes);
  }
  return merged;
}
