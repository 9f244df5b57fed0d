import type { Cell, ComparedRow } from './compare.js';
import { formatUsd } from '../ledger/money.js';
import type { ReconcileProvider } from './records.js';
import { tokenKinds } from './records.js';
import { hostedToolCharge } from './charges.js';
import { type Tolerance, beyondTolerance } from './tolerance.js';

/**
 * Heuristics for the usual causes of a difference beyond tolerance, from what the row and the ledger show. Each
 * cause is a candidate for a person to confirm, ordered from the most to the least likely.
 */
export type CauseCode =
  | 'not_yet_arrived'
  | 'other_path'
  | 'not_instrumented'
  | 'missing_calls'
  | 'ledger_exceeds'
  | 'failed_calls'
  | 'rate_difference'
  | 'service_tier'
  | 'unpriced_calls'
  | 'calls_without_usage'
  | 'non_model_charge'
  | 'unexplained';

export interface Cause {
  code: CauseCode;
  message: string;
}

export interface ExplainContext {
  provider: ReconcileProvider;
  runAt: Date;
  /** How long after a day ends spans and provider figures are still expected to arrive. */
  settleMs: number;
  /** When the ledger last received any call from this provider. */
  lastReceivedAt: Date | null;
  /** Base models with at least one ledger call, per day (any scope). */
  ledgerModelsByDay: Map<string, Set<string>>;
  tolerance: Tolerance;
}

const DAY_MS = 86_400_000;

export function explainRow(row: ComparedRow, context: ExplainContext): Cause[] {
  if (!row.cells.some((c) => c.beyondTolerance)) return [];
  if (row.model.startsWith('charge: ')) return [chargeCause(row)];
  const causes: Cause[] = [];
  const add = (code: CauseCode, message: string): void => {
    if (!causes.some((c) => c.code === code)) causes.push({ code, message });
  };
  const tokens = tokenView(row, context.tolerance);
  const cost = row.cells.find((c) => c.metric === 'cost_usd');
  const costBeyond = cost?.beyondTolerance === true ? cost : null;
  // Without comparable tokens, a cost the ledger has nothing for is still a volume gap.
  const providerMore = tokens.short || (!tokens.comparable && costBeyond !== null && costBeyond.delta > 0n && row.ledger.calls === 0n);
  if (providerMore) volumeShortCauses(row, tokens, context).forEach((c) => add(c.code, c.message));
  if (tokens.excess) volumeExcessCauses(row, context).forEach((c) => add(c.code, c.message));
  if (costBeyond) {
    if (tokens.comparable && !tokens.short && !tokens.excess) add('rate_difference', rateMessage(row, costBeyond, context.provider));
    if (row.tiers.size > 0) add('service_tier', tierMessage(row, context.provider));
    if (row.ledger.unpricedCalls > 0n) {
      add('unpriced_calls', `${row.ledger.unpricedCalls} ledger calls for ${where(row, context)} have no price (the model, its rates for the call's service tier, or a hosted-tool fee missing from the price book), so the ledger cost is short`);
    }
  }
  if ((tokens.short || tokens.excess) && row.ledger.callsWithoutUsage > 0n) {
    add('calls_without_usage', `${row.ledger.callsWithoutUsage} ledger calls arrived without token usage (streamed without usage, or an instrumentation that drops it)`);
  }
  if (causes.length === 0) add('unexplained', 'no usual cause detected; look at the calls of this day and model');
  return causes;
}

/** Hosted-tool fees the ledger prices per call (web and file search), or a charge it has no record of at all. */
function chargeCause(row: ComparedRow): Cause {
  const label = row.model.slice('charge: '.length);
  if (row.ledger.costNanos === 0n && hostedToolCharge(label) === null) {
    return { code: 'non_model_charge', message: `"${label}" is not a model token charge; the ledger records no such cost (code execution, images, storage)` };
  }
  return {
    code: 'non_model_charge',
    message:
      `the ledger's ${label} fees (the price book's per_tool_call rates times the calls the spans counted) differ from the bill: ` +
      `calls the preload did not trace (another SDK, OpenAI's search models on chat completions), searches with no fee in ` +
      `the price book (their calls are unpriced), or a rate that is not the one billed`,
  };
}

/** Provider > ledger in volume: late data, calls the instrumentation never saw, or some calls missing. */
function volumeShortCauses(row: ComparedRow, tokens: TokenView, context: ExplainContext): Cause[] {
  const causes: Cause[] = [];
  const dayEnd = Date.parse(`${row.day}T00:00:00Z`) + DAY_MS;
  if (context.runAt.getTime() - dayEnd < context.settleMs) {
    causes.push({ code: 'not_yet_arrived', message: `${row.day} ended less than ${hours(context.settleMs)} before this run: spans may still be on their way; re-run later` });
  } else if (context.lastReceivedAt === null || context.lastReceivedAt.getTime() < dayEnd) {
    const since = context.lastReceivedAt === null ? 'ever' : `since ${context.lastReceivedAt.toISOString()}`;
    causes.push({
      code: 'not_yet_arrived',
      message: `the ledger has received no ${context.provider} call ${since}, before ${row.day} ended: spans may be queued or dropped upstream (exporter queue, collector, processor back-pressure)`,
    });
  }
  if (row.ledger.calls > 0n) {
    causes.push({ code: 'missing_calls', message: missingCallsMessage(row, tokens, where(row, context)) });
  } else if (row.model !== '*' && !(context.ledgerModelsByDay.get(row.day)?.has(row.model) ?? false)) {
    causes.push({
      code: 'other_path',
      message: `${row.model} never appears in the ledger on ${row.day}: it is called through a path without the instrumentation (a service without the preload, another SDK, or a direct HTTP client)`,
    });
  } else {
    causes.push({ code: 'not_instrumented', message: `no ledger calls for ${where(row, context)}: a service using it runs without the preload` });
  }
  return causes;
}

/** Ledger > provider in volume: the provider's data is not complete yet, failed calls, or misattributed calls. */
function volumeExcessCauses(row: ComparedRow, context: ExplainContext): Cause[] {
  const causes: Cause[] = [];
  const dayEnd = Date.parse(`${row.day}T00:00:00Z`) + DAY_MS;
  if (context.runAt.getTime() - dayEnd < context.settleMs) {
    causes.push({ code: 'not_yet_arrived', message: `${row.day} ended less than ${hours(context.settleMs)} before this run: the provider's report may not be complete yet` });
  }
  if (row.ledger.errorCalls > 0n) {
    causes.push({ code: 'failed_calls', message: `the ledger holds ${row.ledger.errorCalls} failed calls for ${where(row, context)}; the provider does not count requests it rejected` });
  }
  const elsewhere = row.scopeKind === 'api_key' ? 'key' : projectWord(context.provider);
  causes.push({ code: 'ledger_exceeds', message: `the ledger counts more than the provider for ${where(row, context)}: calls attributed here that ran under another ${elsewhere}, or calls counted twice` });
  return causes;
}

/**
 * The tokens of a row on both sides: from the usage report's cells, or — without one — from the token quantities
 * the cost report itemises (OpenAI's `quantity`). Not comparable when neither says.
 */
interface TokenView {
  comparable: boolean;
  short: boolean;
  excess: boolean;
  provider: bigint;
  ledger: bigint;
}

function tokenView(row: ComparedRow, tolerance: Tolerance): TokenView {
  const usageCells = row.cells.filter((c) => c.unit !== 'usd');
  if (usageCells.length > 0) {
    const tokenCells = usageCells.filter((c) => c.unit === 'tokens');
    return {
      comparable: true,
      short: usageCells.some((c) => c.beyondTolerance && c.delta > 0n),
      excess: usageCells.some((c) => c.beyondTolerance && c.delta < 0n),
      provider: tokenCells.reduce((sum, c) => sum + c.provider, 0n),
      ledger: tokenCells.reduce((sum, c) => sum + c.ledger, 0n),
    };
  }
  const view: TokenView = { comparable: false, short: false, excess: false, provider: 0n, ledger: 0n };
  for (const kind of tokenKinds) {
    const quantity = row.billed.get(kind)?.quantityTokens;
    if (quantity === null) return { ...view, comparable: false };
    const billed = quantity ?? 0n;
    if (quantity !== undefined) view.comparable = true;
    const ledger = row.ledger.tokens[kind];
    view.provider += billed;
    view.ledger += ledger;
    if (beyondTolerance(billed, ledger, 'tokens', tolerance)) {
      if (billed > ledger) view.short = true;
      else view.excess = true;
    }
  }
  return view.comparable ? view : { ...view, short: false, excess: false };
}

function where(row: ComparedRow, context: ExplainContext): string {
  const model = row.model === '*' ? 'all models' : row.model;
  if (row.scopeKind === 'none') return `${model} on ${row.day}`;
  return `${row.scopeKind === 'project' ? projectWord(context.provider) : 'API key'} ${row.scope} (${model}, ${row.day})`;
}

function projectWord(provider: ReconcileProvider): string {
  return provider === 'anthropic' ? 'workspace' : 'project';
}

function missingCallsMessage(row: ComparedRow, tokens: TokenView, where: string): string {
  const requests = row.cells.find((c) => c.metric === 'requests');
  if (requests && requests.provider > 0n) {
    const providerPerCall = Number(tokens.provider) / Number(requests.provider);
    const ledgerPerCall = Number(tokens.ledger) / Number(row.ledger.calls);
    const sameShape = providerPerCall > 0 && Math.abs(ledgerPerCall - providerPerCall) / providerPerCall <= 0.1;
    const shape = sameShape
      ? 'tokens per call agree, so whole calls are missing: a service without the preload, or dropped spans'
      : `tokens per call differ too (ledger ${Math.round(ledgerPerCall)}, provider ${Math.round(providerPerCall)}): check how the instrumentation counts tokens`;
    return `the ledger saw ${row.ledger.calls} of ${requests.provider} requests for ${where}; ${shape}`;
  }
  const share = tokens.provider > 0n ? ((Number(tokens.ledger) / Number(tokens.provider)) * 100).toFixed(1) : '0';
  return `the ledger has ${share}% of the provider's tokens for ${where}: calls are missing — a service without the preload, or dropped spans`;
}

function rateMessage(row: ComparedRow, cost: Cell, provider: ReconcileProvider): string {
  const share = cost.ledger === 0n ? null : (Number(cost.provider) / Number(cost.ledger)) * 100;
  const rates = tokenKinds.flatMap((kind) => {
    const billed = row.billed.get(kind);
    if (!billed || billed.quantityTokens === null || billed.quantityTokens === 0n) return [];
    return [`${kind.replace('_', ' ')} $${formatUsd((billed.costNanos * 1_000_000n) / billed.quantityTokens, 4)}/M`];
  });
  return (
    `tokens agree, but the billed cost is ${share === null ? 'not zero' : `${share.toFixed(1)}% of`} the price-book cost: ` +
    'the billed rates differ from the price book (a negotiated discount, or a price change the book lacks); ' +
    'put the contract rates in a --prices file' +
    (rates.length > 0 ? ` (billed: ${rates.join(', ')})` : '') +
    // Only the preload tells 1-hour cache writes apart; other instrumentations' spans price them all at 5 minutes.
    (provider === 'anthropic' && row.ledger.tokens.cache_write > 0n
      ? '; or 1-hour cache writes the spans did not tell apart (only the genai-chargeback preload records them), ' +
        'priced at the 5-minute rate'
      : '')
  );
}

function tierMessage(row: ComparedRow, provider: ReconcileProvider): string {
  const parts = [...row.tiers].map(([tier, use]) => `${tier}: ${use.tokens} tokens${use.costNanos > 0n ? `, $${formatUsd(use.costNanos)}` : ''}`);
  const priority = provider === 'anthropic' && [...row.tiers.keys()].some((tier) => tier.startsWith('priority'));
  return (
    `usage on non-standard service tiers (${parts.join('; ')}): batch and flex are billed below, priority above the ` +
    'standard rates, which the ledger applies to every call whose span names no tier (openai.response.service_tier)' +
    (priority ? "; Anthropic's cost report also leaves out Priority Tier costs" : '')
  );
}

function hours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}min`;
}
