import type { LlmCall } from '../ledger/llm-call.js';

/** Attribution a call can give its action: the earliest call that has the value (queries/rollup-actions.sql). */
export const callAttributionColumns = ['action', 'service_name', 'team', 'project', 'feature', 'customer', 'user_id', 'environment'] as const;
export type CallAttributionColumn = (typeof callAttributionColumns)[number];

const tokenColumns = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;
export type TokenColumn = (typeof tokenColumns)[number];

interface EarliestValue {
  value: string;
  startMs: number;
  spanId: string;
}

/**
 * What `actions` needs of a trace's calls, summed as they are stored, so the roll-up can write an action without
 * reading the calls back from the ledger. Mirrors queries/rollup-actions.sql column for column; a test compares
 * the two on the same traces.
 */
export interface CallTotals {
  calls: number;
  failedCalls: number;
  unpricedCalls: number;
  minStartMs: number;
  maxEndMs: number;
  /** Per token column: the sum, null while no call had a count (SQL's sum of NULLs). */
  tokens: Record<TokenColumn, number | null>;
  /** Priced calls' cost in nano-dollars, null while none was priced. */
  costNanos: bigint | null;
  failedCostNanos: bigint;
  models: Set<string>;
  earliest: Partial<Record<CallAttributionColumn, EarliestValue>>;
}

export function emptyCallTotals(): CallTotals {
  return {
    calls: 0,
    failedCalls: 0,
    unpricedCalls: 0,
    minStartMs: Infinity,
    maxEndMs: -Infinity,
    tokens: { input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null },
    costNanos: null,
    failedCostNanos: 0n,
    models: new Set(),
    earliest: {},
  };
}

/** Adds one stored call. Ties on start time go to the lower span id, as the SQL's arg_min over (start_time, span_id). */
export function addCall(totals: CallTotals, call: LlmCall): void {
  const startMs = call.start_time.getTime();
  totals.calls += 1;
  if (call.status === 'error') totals.failedCalls += 1;
  if (call.cost_source === 'unpriced') totals.unpricedCalls += 1;
  totals.minStartMs = Math.min(totals.minStartMs, startMs);
  totals.maxEndMs = Math.max(totals.maxEndMs, call.end_time.getTime());
  for (const column of tokenColumns) {
    const count = call[column];
    if (count !== null) totals.tokens[column] = (totals.tokens[column] ?? 0) + count;
  }
  if (call.cost_nanos !== null) {
    totals.costNanos = (totals.costNanos ?? 0n) + call.cost_nanos;
    if (call.status === 'error') totals.failedCostNanos += call.cost_nanos;
  }
  const model = call.response_model ?? call.request_model;
  if (model !== null) totals.models.add(model);
  for (const column of callAttributionColumns) {
    const value = call[column];
    if (value === null) continue;
    const current = totals.earliest[column];
    if (current === undefined || startMs < current.startMs || (startMs === current.startMs && call.span_id < current.spanId)) {
      totals.earliest[column] = { value, startMs, spanId: call.span_id };
    }
  }
}
