import type { Attribution } from '../attribution/keys.js';
import { formatNanos } from '../ledger/money.js';
import { earliestValue, type CallAttributionColumn, type CallTotals, type TokenColumn } from './call-totals.js';
import type { TraceRoot } from './trace-buffer.js';

/** An `actions` row as `ActionStore` stages it in JSON: times as epoch milliseconds, costs as exact decimal text. */
export interface ActionRow extends Omit<Attribution, 'action'>, Record<TokenColumn, number | null> {
  trace_id: string;
  action: string;
  root_span_name: string | null;
  service_name: string | null;
  start_ms: number;
  end_ms: number;
  calls: number;
  failed_calls: number;
  unpriced_calls: number;
  cost_usd: string | null;
  failed_cost_usd: string;
  models: string[];
  complete: boolean;
}

/**
 * DuckDB orders VARCHARs by their UTF-8 bytes, which is code point order. JavaScript's `<` compares UTF-16 units,
 * which puts a character past U+FFFF (a surrogate pair, D800–DFFF) before U+E000–U+FFFF: shifted here.
 */
function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return inCodePointOrder(x) - inCodePointOrder(y);
  }
  return a.length - b.length;
}

function inCodePointOrder(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/**
 * The action of a trace from its root and its calls' totals: the same row queries/rollup-actions.sql computes from
 * `trace_roots` and `llm_calls` (attribution from the root, else the earliest call that has it).
 */
export function toActionRow(traceId: string, root: TraceRoot | null, complete: boolean, totals: CallTotals): ActionRow {
  const fromCalls = (column: CallAttributionColumn): string | null => earliestValue(totals, column);
  return {
    trace_id: traceId,
    action: root?.action ?? fromCalls('action') ?? root?.rootSpanName ?? 'unknown',
    root_span_name: root?.rootSpanName ?? null,
    service_name: root?.serviceName ?? fromCalls('service_name'),
    team: root?.team ?? fromCalls('team'),
    project: root?.project ?? fromCalls('project'),
    feature: root?.feature ?? fromCalls('feature'),
    customer: root?.customer ?? fromCalls('customer'),
    user_id: root?.user_id ?? fromCalls('user_id'),
    environment: root?.environment ?? fromCalls('environment'),
    start_ms: Math.min(totals.minStartMs, root?.startMs ?? Infinity),
    end_ms: Math.max(totals.maxEndMs, root?.endMs ?? -Infinity),
    calls: totals.calls,
    failed_calls: totals.failedCalls,
    unpriced_calls: totals.unpricedCalls,
    ...totals.tokens,
    cost_usd: totals.costNanos === null ? null : formatNanos(totals.costNanos),
    failed_cost_usd: formatNanos(totals.failedCostNanos),
    models: totals.models.toSorted(byCodePoint),
    complete: root !== null && complete,
  };
}
