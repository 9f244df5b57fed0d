import type { Attribution } from '../attribution/keys.js';
import type { CostSource, LlmCall } from '../ledger/llm-call.js';
import type { GenAiCall } from '../normalize/genai-call.js';
import { readString } from '../normalize/read-attribute.js';
import { derivedAttributeEntries } from '../normalize/derived-attributes.js';
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
  toolCalls: ReadonlyMap<string, number>;
}

export interface PriceResult {
  cost_nanos: bigint | null;
  cost_source: CostSource;
  price_id: string | null;
  /** The part of `cost_nanos` that is tool-call fees, by tool type; absent or empty: none. */
  toolFees?: ReadonlyMap<string, bigint>;
  /** Why the book could not price the call; absent or null when it did. */
  unpricedReason?: string | null;
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
    cost_nanos: price.cost_nanos,
    cost_source: price.cost_source,
    price_id: price.price_id,
    status: call.status,
    error_type: call.errorType,
    attempts: call.attempts,
    received_at: receivedAt,
    attributes: storedAttributesJson(
      span.attributes,
      derivedAttributeEntries({
        serviceTier: nonStandardServiceTier(call.serviceTier),
        toolCalls: call.toolCalls,
        toolFees: price.toolFees,
        unpricedReason: price.unpricedReason,
      }),
    ),
  };
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
