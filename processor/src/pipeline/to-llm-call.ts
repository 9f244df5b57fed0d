import type { Attribution } from '../attribution/keys.js';
import type { CostSource, LlmCall } from '../ledger/llm-call.js';
import type { GenAiCall } from '../normalize/genai-call.js';
import { readString } from '../normalize/read-attribute.js';
import { STORED_SERVICE_TIER_KEY } from '../normalize/service-tier.js';
import { storedAttributesJson } from '../normalize/stored-attributes.js';
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
}

export interface PriceResult {
  cost_nanos: bigint | null;
  cost_source: CostSource;
  price_id: string | null;
}

export type PriceCall = (request: PriceRequest) => PriceResult;

const nanosPerMilli = 1_000_000n;

/** Assembles one ledger row from a recognised call, its attribution and its price (pure). */
export function toLlmCall(call: GenAiCall, attribution: Attribution, price: PriceResult, receivedAt: Date): LlmCall {
  const { span, usage } = call;
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
    ...price,
    status: call.status,
    error_type: call.errorType,
    attempts: call.attempts,
    received_at: receivedAt,
    attributes: storedAttributesJson(span.attributes, derivedAttributes(call)),
  };
}

/**
 * What the processor read from the span that the columns do not show: the non-standard service tier it priced the
 * call for (`chargeback.service_tier`, absent for the standard tier), so reports and alerts read one value.
 */
function derivedAttributes(call: GenAiCall): Record<string, string> {
  const tier = nonStandardServiceTier(call.serviceTier);
  return tier === null ? {} : { [STORED_SERVICE_TIER_KEY]: tier };
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
  };
}
