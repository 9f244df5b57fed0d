import { ReconcileInputError } from './errors.js';
import { type LedgerGroup, ledgerAttributeKeys } from './ledger-query.js';
import type { ProviderDimensions, ReconcileProvider } from './records.js';

/**
 * How finely one report is compared with the ledger: per model when the report is grouped by model, and per
 * project/workspace or API key only where BOTH sides have it — the report is grouped by it and every ledger call of
 * the period carries the id. Otherwise the comparison is coarser rather than wrong.
 */
export type ScopeKind = 'project' | 'api_key' | 'none';
export type ScopeRequest = ScopeKind | 'auto';

export interface Granularity {
  byModel: boolean;
  scope: ScopeKind;
}

export interface GranularityChoice {
  granularity: Granularity;
  notes: string[];
}

/** `usage` rows always name a model when grouped by model; cost rows only for token charges (see records.ts). */
export function chooseGranularity(
  provider: ReconcileProvider,
  report: 'usage' | 'costs',
  records: readonly ProviderDimensions[],
  ledger: readonly LedgerGroup[],
  requested: ScopeRequest,
): GranularityChoice {
  const byModel = report === 'usage' ? records.every((r) => r.model !== null) : records.length === 0 || records.some((r) => r.model !== null);
  const notes: string[] = [];
  if (!byModel) notes.push(`the ${report} report is not grouped by model: its figures are compared per day for all models together`);
  const candidates: Exclude<ScopeKind, 'none'>[] = requested === 'auto' ? ['project', 'api_key'] : requested === 'none' ? [] : [requested];
  for (const kind of candidates) {
    const problem = scopeProblem(provider, report, kind, records, ledger);
    if (problem === null) return { granularity: { byModel, scope: kind }, notes };
    if (requested !== 'auto') throw new ReconcileInputError(`--by ${kind}: ${problem}`);
    if (problem.startsWith('ledger')) notes.push(`${report}: ${problem}; compared without it`);
  }
  return { granularity: { byModel, scope: 'none' }, notes };
}

function scopeProblem(
  provider: ReconcileProvider,
  report: 'usage' | 'costs',
  kind: Exclude<ScopeKind, 'none'>,
  records: readonly ProviderDimensions[],
  ledger: readonly LedgerGroup[],
): string | null {
  const field = kind === 'project' ? (provider === 'openai' ? 'project_id' : 'workspace_id') : 'api_key_id';
  const attribute = kind === 'project' ? ledgerAttributeKeys[provider].project : ledgerAttributeKeys[provider].apiKey;
  const grouped = records.some((r) => (kind === 'project' ? r.projectId : r.apiKeyId) !== null);
  if (!grouped) return `the ${report} report is not grouped by ${field}`;
  let calls = 0n;
  let carrying = 0n;
  for (const group of ledger) {
    calls += group.calls;
    if ((kind === 'project' ? group.projectId : group.apiKeyId) !== null) carrying += group.calls;
  }
  if (calls > 0n && carrying < calls) return `ledger: ${carrying} of ${calls} calls carry the ${attribute} attribute`;
  return null;
}

/** The provider's id for a row; null means the default workspace (Anthropic) or Console use without a key. */
export function providerScope(provider: ReconcileProvider, kind: ScopeKind, record: ProviderDimensions): string {
  if (kind === 'none') return '*';
  if (kind === 'project') return record.projectId ?? (provider === 'anthropic' ? 'default' : '(none)');
  return record.apiKeyId ?? (provider === 'anthropic' ? '(console)' : '(none)');
}

export function ledgerScope(kind: ScopeKind, group: LedgerGroup): string {
  if (kind === 'none') return '*';
  return (kind === 'project' ? group.projectId : group.apiKeyId) ?? '(not recorded)';
}
