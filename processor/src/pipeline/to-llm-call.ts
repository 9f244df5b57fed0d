import type { Attribution } from '../attribution/keys.js';
import type { CostSource, LlmCall } from '../ledger/llm-call.js';
import type { GenAiCall } from '../normalize/genai-call.js';
import { readString } from '../normalize/read-attribute.js';
import { STORED_SERVICE_TIER_KEY } from '../normalize/service-tier.js';
import { storedAttributesJson } from '../normalize/stored-attributes.js';
import { STORED_TOOL_CALLS_PREFIX, STORED_TOOL_FEE_PREFIX } from '../normalize/tool-calls.js';
import { formatNanos } from '../ledger/money.js';
import { nonStandardServiceTier } from '../pricing/service-tier.js';
import type { Usage } from '../normalize/usage.js';

export interface PriceRequest {
  provider: string | null;
  /** The model that answered when known (a dated id), else the one requested. */
  model: string | null;
  /** The requested model, tried when the answering snapshot has no price of its own. */
  fallbackModel: string | null;
  startTime: Date;
  usage: Usage | null;
  reportedCostUsd: number | null;
  /** As the span names it; the price book decides which tiers are standard. */
  serviceTier: string | null;
  toolCalls: ReadonlyMap<string, number>;
}

export interface PriceResult {
  cost_nanos: bigint | null;
  cost_source: CostSource;
  price_id: string | null;
  /** The part of `cost_nanos` that is tool-call fees, by tool type; absent or empty: none. */
  toolFees?: ReadonlyMap<string, bigint>;
}

export type PriceCall = (request: PriceRequest) => PriceResult;

const nanosPerMilli = 1_000_000n;

/** Assembles one ledger row from a recognised call, its attribution and its price (pure). */
export function toLlmCall(call: GenAiCall, attribution: Attribution, price: PriceResult, receivedAt: Date): LlmCall {
  const { span, usage } = call;
  const { toolFees, ...columns } = price;
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    // A span naming itself as parent has none: kept, it would make the call its own nested repeat and drop it.
    parent_span_id: span.parentSpanId === '' || span.parentSpanId === span.spanId ? null : span.parentSpanId,
    start_time: new Date(Number(span.startTimeUnixNano / nanosPerMilli)),
    end_time: new Date(Number(span.endTimeUnixNano / nanosPerMilli)),
    duration_ms: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6,
    service_name: readString(span.resource, 'service.name'),
    ...attribution,
    provider: call.provider,
    operation: call.operation,
    request_model: call.requestModel,
    response_model: call.responseModel,
    response_id: call.responseId,
    input_tokens: usage?.input ?? null,
    output_tokens: usage?.output ?? null,
    cache_read_tokens: usage?.cacheRead ?? null,
    cache_write_tokens: usage?.cacheWrite ?? null,
    reasoning_tokens: usage?.reasoning ?? null,
    ...columns,
    status: call.status,
    error_type: call.errorType,
    attempts: call.attempts,
    received_at: receivedAt,
    attributes: storedAttributesJson(span.attributes, derivedAttributes(call, toolFees)),
  };
}

/**
 * What the processor read from the span, or priced, that the columns do not show, so reports, alerts and
 * reconciliation read one value: the non-standard service tier it priced the call for (`chargeback.service_tier`,
 * absent for the standard tier), each hosted tool's calls (`chargeback.tool_calls.<tool>`) and, when priced, their
 * fee in USD (`chargeback.tool_fee_usd.<tool>`, part of `cost_usd`).
 */
function derivedAttributes(call: GenAiCall, toolFees: ReadonlyMap<string, bigint> | undefined): Record<string, string> {
  const derived: Record<string, string> = {};
  const tier = nonStandardServiceTier(call.serviceTier);
  if (tier !== null) derived[STORED_SERVICE_TIER_KEY] = tier;
  for (const [tool, count] of call.toolCalls) derived[STORED_TOOL_CALLS_PREFIX + tool] = String(count);
  for (const [tool, nanos] of toolFees ?? []) derived[STORED_TOOL_FEE_PREFIX + tool] = formatNanos(nanos);
  return derived;
}

export function priceRequestOf(call: GenAiCall): PriceRequest {
  return {
    provider: call.provider,
    model: call.responseModel ?? call.requestModel,
    fallbackModel: call.requestModel,
    startTime: new Date(Number(call.span.startTimeUnixNano / nanosPerMilli)),
    usage: call.usage,
    reportedCostUsd: call.reportedCostUsd,
    serviceTier: call.serviceTier,
    toolCalls: call.toolCalls,
  };
}
