import type { CostSource } from '../ledger/llm-call.js';
import { computeCost, type RateCard } from './compute-cost.js';
import { divideHalfEven, toScaledRounded } from './decimal.js';
import { entryInForce, type PriceBook, type PriceEntry } from './price-book.js';
import { nonStandardServiceTier } from './service-tier.js';

/** Token counts in the semconv meaning (input includes cache tokens); null = not reported. */
export interface CallUsage {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  /** The part of `cacheWrite` with a 1-hour lifetime (Anthropic); null or absent: not reported. */
  cacheWrite1h?: number | null;
}

export interface PriceableCall {
  provider: string | null;
  /** The model that answered when known (a dated id), else the one requested. */
  model: string | null;
  /** Tried when `model` has no price, e.g. the requested id when the response named an unknown snapshot. */
  fallbackModel?: string | null;
  startTime: Date;
  /** null: the span carried no usage at all. */
  usage: CallUsage | null;
  /** A cost the instrumentation reported itself (OpenLIT `gen_ai.usage.cost`), in USD. */
  reportedCostUsd?: number | null;
  /** The service tier that served the call, as the provider named it (`flex`, `priority`); null, absent or `default`: standard. */
  serviceTier?: string | null;
  /** Calls of provider-hosted tools billed per call, by tool type (`web_search`: 3); absent: none. */
  toolCalls?: ReadonlyMap<string, number>;
}

/** Exactly the three ledger columns, so callers can spread it into an LlmCall. */
export interface CallPrice {
  cost_nanos: bigint | null;
  cost_source: CostSource;
  price_id: string | null;
}

/**
 * `unknown_service_tier`: the model has a price, but not for the service tier that served the call;
 * `unknown_tool_fee`: the model has a price, but no fee for a hosted tool the call used (web or file search).
 */
export type UnpricedReason =
  | 'no_usage'
  | 'no_provider'
  | 'no_model'
  | 'unknown_model'
  | 'before_first_price'
  | 'unknown_service_tier'
  | 'unknown_tool_fee';

export interface PricingOutcome {
  price: CallPrice;
  /** Why the book could not price the call (also set when a reported cost stood in); null when computed. */
  unpricedReason: UnpricedReason | null;
  /** The entry that priced the call (whose service tier's rates, when the call names one). */
  entry: PriceEntry | null;
  /** The span's token counts were impossible and were clamped (see computeCost). */
  clamped: boolean;
  /** The part of a computed cost that is tool-call fees, by tool type, in nano-dollars; empty otherwise. */
  toolFees: ReadonlyMap<string, bigint>;
}

const unpriced: CallPrice = { cost_nanos: null, cost_source: 'unpriced', price_id: null };

/**
 * Prices one call (DESIGN.md, "Pricing contract"): the book wins; a reported cost is used only when the book
 * cannot price the call and the reported cost is positive (OpenLIT reports 0 when offline, which means
 * "unknown", not "free"); otherwise the call is unpriced with a NULL cost — never 0.
 */
export function priceCallWithDetails(book: PriceBook, call: PriceableCall): PricingOutcome {
  const found = findEntry(book, call);
  const card = found.entry === null ? undefined : rateCardFor(found.entry, call.provider, call.serviceTier);
  const fees = found.entry === null ? undefined : toolFees(found.entry, call);
  if (found.entry !== null && card !== undefined && fees !== undefined && call.usage !== null && hasAnyCount(call.usage)) {
    const cost = computeCost(
      card,
      {
        input: call.usage.input ?? 0,
        output: call.usage.output ?? 0,
        cacheRead: call.usage.cacheRead ?? 0,
        cacheWrite: call.usage.cacheWrite ?? 0,
        cacheWrite1h: call.usage.cacheWrite1h ?? 0,
      },
      fees.atto,
    );
    return {
      price: { cost_nanos: cost.nanos, cost_source: 'computed', price_id: card.priceId },
      unpricedReason: null,
      entry: found.entry,
      clamped: cost.clamped,
      toolFees: fees.nanos,
    };
  }
  const unpricedReason =
    found.entry === null ? found.reason : card === undefined ? 'unknown_service_tier' : fees === undefined ? 'unknown_tool_fee' : 'no_usage';
  const reported = call.reportedCostUsd;
  const price: CallPrice =
    typeof reported === 'number' && Number.isFinite(reported) && reported > 0
      ? { cost_nanos: toScaledRounded(reported, 9), cost_source: 'reported', price_id: null }
      : unpriced;
  return { price, unpricedReason, entry: null, clamped: false, toolFees: noFees.nanos };
}

const attoPerNano = 1_000_000_000n;

interface ToolFees {
  /** All the call's fees, in atto-dollars: added to the cost before its one rounding. */
  atto: bigint;
  /** Each tool's fees, rounded to nano-dollars, for the ledger's attributes. */
  nanos: ReadonlyMap<string, bigint>;
}

/** Most calls use no hosted tool: one shared value, nothing allocated per call on the ingest path. */
const noFees: ToolFees = { atto: 0n, nanos: new Map() };

/**
 * The call's tool-call fees, or undefined when the entry has no fee for a tool the call used: a web search is billed
 * whatever the model, so pricing the tokens alone would hide it as free. A provider alias's fees are not applied
 * either: Azure bills its hosted tools under its own prices.
 */
function toolFees(entry: PriceEntry, call: PriceableCall): ToolFees | undefined {
  if (call.toolCalls === undefined || call.toolCalls.size === 0) return noFees;
  const ownProvider = entry.provider.toLowerCase() === call.provider?.trim().toLowerCase();
  let atto = 0n;
  const nanos = new Map<string, bigint>();
  for (const [tool, count] of call.toolCalls) {
    const fee = ownProvider ? entry.perToolCall.get(tool) : undefined;
    if (fee === undefined) return undefined;
    const toolAtto = BigInt(count) * fee.atto;
    atto += toolAtto;
    nanos.set(tool, divideHalfEven(toolAtto, attoPerNano));
  }
  return { atto, nanos };
}

/** The ledger columns for one call, the part of its cost that is tool-call fees and why it went unpriced. */
export function priceForLedger(
  book: PriceBook,
  call: PriceableCall,
): CallPrice & { toolFees: ReadonlyMap<string, bigint>; unpricedReason: UnpricedReason | null } {
  const { price, toolFees, unpricedReason } = priceCallWithDetails(book, call);
  return { cost_nanos: price.cost_nanos, cost_source: price.cost_source, price_id: price.price_id, toolFees, unpricedReason };
}

/** The three ledger columns for one call; see priceCallWithDetails for why a call went unpriced. */
export function priceCall(book: PriceBook, call: PriceableCall): CallPrice {
  return priceCallWithDetails(book, call).price;
}

/**
 * The entry's rates for the tier that served the call. A tier the entry has no rates for is not priced at the
 * standard rates: Flex bills half of them, Priority up to twice, Scale Tier from prepaid units. Nor are a provider
 * alias's service tiers: an alias says the standard list prices match (Azure's Global Standard), not the tiers'.
 */
function rateCardFor(
  entry: PriceEntry,
  provider: string | null,
  serviceTier: string | null | undefined,
): (RateCard & { priceId: string }) | undefined {
  const tier = nonStandardServiceTier(serviceTier);
  if (tier === null) return entry;
  return entry.provider.toLowerCase() === provider?.trim().toLowerCase() ? entry.serviceTiers.get(tier) : undefined;
}

function hasAnyCount(usage: CallUsage): boolean {
  return usage.input !== null || usage.output !== null || usage.cacheRead !== null || usage.cacheWrite !== null;
}

function findEntry(
  book: PriceBook,
  call: PriceableCall,
): { entry: PriceEntry; reason: null } | { entry: null; reason: UnpricedReason } {
  if (call.provider === null) return { entry: null, reason: 'no_provider' };
  const models = [call.model, call.fallbackModel].filter((model): model is string => typeof model === 'string');
  if (models.length === 0) return { entry: null, reason: 'no_model' };
  let reason: UnpricedReason = 'unknown_model';
  for (const model of models) {
    const timeline = book.timeline(call.provider, model);
    if (timeline === null) continue;
    const entry = entryInForce(timeline, call.startTime.getTime());
    if (entry !== undefined) return { entry, reason: null };
    reason = 'before_first_price';
  }
  return { entry: null, reason };
}
