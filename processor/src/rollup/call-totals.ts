import type { LlmCall } from '../ledger/llm-call.js';

/** Attribution a call can give its action: the earliest call that has the value (queries/rollup-actions.sql). */
export const callAttributionColumns = ['action', 'service_name', 'team', 'project', 'feature', 'customer', 'user_id', 'environment'] as const;
export type CallAttributionColumn = (typeof callAttributionColumns)[number];

const tokenColumns = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;
export type TokenColumn = (typeof tokenColumns)[number];

/** Where a call stands in the SQL's order: by start time, then span id. */
interface CallOrder {
  startMs: number;
  spanId: string;
}

/**
 * What `actions` needs of a trace's calls, summed as they are stored, so the roll-up can write an action without
 * reading the calls back from the ledger. Mirrors queries/rollup-actions.sql column for column; a test compares
 * the two on the same traces. The trace buffer holds one per open trace with calls, so it is kept small (`npm run
 * bench` measures it).
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
  models: string[];
  /** The same models for lookup, once there are more than `modelsListedUpTo`. */
  modelSet: Set<string> | null;
  /** Per attribution column (indexed like `callAttributionColumns`): the value of the earliest call that has one. */
  earliestValues: Array<string | null>;
  /**
   * Which call gave each value: one `CallOrder` while a single call gave all of them (the usual case, and one
   * object instead of eight), per column once they come from different calls.
   */
  sources: CallOrder | Array<CallOrder | null> | null;
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
    models: [],
    modelSet: null,
    earliestValues: callAttributionColumns.map(() => null),
    sources: null,
  };
}

/**
 * Past this many distinct models in one trace they are also kept in a Set: `includes` and `concat` on every call
 * made a trace of thousands of distinct model names quadratic (measured: 50,000 names, 29 s on the request path).
 */
const modelsListedUpTo = 16;

/**
 * Adds one stored call and returns the bytes it added (a model new to the trace; the trace buffer counts them).
 * Ties on start time go to the lower span id, as the SQL's arg_min over (start_time, span_id).
 */
export function addCall(totals: CallTotals, call: LlmCall): number {
  const startMs = call.start_time.getTime();
  totals.calls += 1;
  if (call.status === 'error') totals.failedCalls += 1;
  if (call.cost_source === 'unpriced') totals.unpricedCalls += 1;
  totals.minStartMs = Math.min(totals.minStartMs, startMs);
  totals.maxEndMs = Math.max(totals.maxEndMs, call.end_time.getTime());
  // Named, not by a loop over the column names: a property read by a varying key misses V8's inline caches, and
  // these reads (13 per call) were most of this function's cost, ~0.6 µs a call on the request path.
  const { tokens } = totals;
  tokens.input_tokens = sumCounts(tokens.input_tokens, call.input_tokens);
  tokens.output_tokens = sumCounts(tokens.output_tokens, call.output_tokens);
  tokens.cache_read_tokens = sumCounts(tokens.cache_read_tokens, call.cache_read_tokens);
  tokens.cache_write_tokens = sumCounts(tokens.cache_write_tokens, call.cache_write_tokens);
  tokens.reasoning_tokens = sumCounts(tokens.reasoning_tokens, call.reasoning_tokens);
  if (call.cost_nanos !== null) {
    totals.costNanos = (totals.costNanos ?? 0n) + call.cost_nanos;
    if (call.status === 'error') totals.failedCostNanos += call.cost_nanos;
  }
  const model = call.response_model ?? call.request_model;
  const added = model === null ? 0 : addModel(totals, model);
  let order: CallOrder | null = null;
  const values = attributionValues(call);
  // An indexed loop: addCall runs once per stored call on the request path, and a callback allocates a closure.
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | null;
    if (value === null) continue;
    const source = sourceOf(totals, i);
    if (source === null || startMs < source.startMs || (startMs === source.startMs && call.span_id < source.spanId)) {
      order ??= { startMs, spanId: call.span_id };
      setSource(totals, i, order);
      totals.earliestValues[i] = value;
    }
  }
  return added;
}

/** SQL's sum over the calls: NULL until one has a count. */
function sumCounts(sum: number | null, count: number | null): number | null {
  return count === null ? sum : (sum ?? 0) + count;
}

/** The call's values of `callAttributionColumns`, in their order. */
function attributionValues(call: LlmCall): Array<string | null> {
  return [call.action, call.service_name, call.team, call.project, call.feature, call.customer, call.user_id, call.environment];
}

function addModel(totals: CallTotals, model: string): number {
  if (totals.modelSet === null) {
    if (totals.models.includes(model)) return 0;
    // concat allocates the exact length; push or a spread would make room for 16 models (~130 bytes more).
    totals.models = totals.models.concat(model);
    if (totals.models.length > modelsListedUpTo) totals.modelSet = new Set(totals.models);
  } else {
    if (totals.modelSet.has(model)) return 0;
    totals.modelSet.add(model);
    totals.models.push(model);
  }
  return model.length * 2 + 48;
}

function sourceOf(totals: CallTotals, column: number): CallOrder | null {
  const { sources } = totals;
  if (Array.isArray(sources)) return sources[column] ?? null;
  return totals.earliestValues[column] === null ? null : sources;
}

function setSource(totals: CallTotals, column: number, order: CallOrder): void {
  const { sources } = totals;
  if (sources === null || sources === order) {
    totals.sources = order;
    return;
  }
  const perColumn = Array.isArray(sources) ? sources : totals.earliestValues.map((value) => (value === null ? null : sources));
  perColumn[column] = order;
  // Back to one object when every value now comes from this call (an earlier call arriving later took them all).
  totals.sources = perColumn.every((source) => source === null || source === order) ? order : perColumn;
}

/** The value `column` takes from the calls: the earliest call's that has one. */
export function earliestValue(totals: CallTotals, column: CallAttributionColumn): string | null {
  return totals.earliestValues[callAttributionColumns.indexOf(column)] ?? null;
}
