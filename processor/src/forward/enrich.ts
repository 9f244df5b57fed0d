import type { LlmCall } from '../ledger/llm-call.js';
import type { AttributeValue, Attributes } from '../otlp/types.js';

/**
 * What forwarding adds to spans (pure): the ledger's view of each GenAI call, and the action's totals on a
 * trace's root span in after-rollup mode. Numbers say how they go on the wire (OTLP int or double).
 */
export type AddedAttribute =
  | { readonly key: string; readonly type: 'string'; readonly value: string }
  | { readonly key: string; readonly type: 'double' | 'int'; readonly value: number };

export const addedKeys = {
  costAmount: 'gen_ai.usage.cost.amount',
  costCurrency: 'gen_ai.usage.cost.currency',
  /** The ledger's cost_source: computed (price book), reported (the span's own cost) or unpriced. */
  costSource: 'gen_ai.usage.cost.source',
  priceId: 'chargeback.price_id',
  actionCostUsd: 'chargeback.action.cost_usd',
  actionCalls: 'chargeback.action.calls',
} as const;

/** The resolved attribution columns that go back on the span, as `chargeback.<column>`. */
const attributionColumns = ['team', 'project', 'feature', 'customer', 'action'] as const;

const nanosPerDollar = 1e9;

/**
 * The attributes for one call span. `nestedRepeat`: the span repeats a call its parent span reports (the ledger
 * counts the parent), so it gets the attribution but no cost, and a viewer summing costs does not count it twice.
 * An unpriced call says so in `cost.source` and carries no amount: unknown is never shown as free.
 */
export function callAttributes(call: LlmCall, nestedRepeat: boolean): AddedAttribute[] {
  const added: AddedAttribute[] = [];
  if (!nestedRepeat) {
    if (call.cost_nanos !== null) {
      // Both operands are exact in a double, so the quotient is the double nearest the decimal cost.
      added.push({ key: addedKeys.costAmount, type: 'double', value: Number(call.cost_nanos) / nanosPerDollar });
      added.push({ key: addedKeys.costCurrency, type: 'string', value: 'USD' });
    }
    added.push({ key: addedKeys.costSource, type: 'string', value: call.cost_source });
    if (call.price_id !== null) added.push({ key: addedKeys.priceId, type: 'string', value: call.price_id });
  }
  for (const column of attributionColumns) {
    const value = call[column];
    if (value !== null) added.push({ key: `chargeback.${column}`, type: 'string', value });
  }
  return added;
}

/** The action's totals for its root span (cost_usd is the exact DECIMAL as text; NULL when nothing was priced). */
export function actionAttributes(action: { costUsd: string | null; calls: number }): AddedAttribute[] {
  const added: AddedAttribute[] = [];
  if (action.costUsd !== null) added.push({ key: addedKeys.actionCostUsd, type: 'double', value: Number(action.costUsd) });
  added.push({ key: addedKeys.actionCalls, type: 'int', value: action.calls });
  return added;
}

export interface AttributePlan {
  /** Attributes to append. */
  add: AddedAttribute[];
  /** Keys the span has already with another value: dropped from the span before appending. */
  replace: Set<string>;
}

/**
 * Leaves out what the span already says (a `chargeback.team` it carried from baggage is the resolved value) so
 * its original attribute stays as it was, and lists the keys whose existing value must give way.
 */
export function planAttributes(existing: Attributes, wanted: readonly AddedAttribute[]): AttributePlan {
  const plan: AttributePlan = { add: [], replace: new Set() };
  for (const attribute of wanted) {
    if (!Object.hasOwn(existing, attribute.key)) {
      plan.add.push(attribute);
    } else if (!sameValue(existing[attribute.key]!, attribute)) {
      plan.add.push(attribute);
      plan.replace.add(attribute.key);
    }
  }
  return plan;
}

function sameValue(existing: AttributeValue, attribute: AddedAttribute): boolean {
  if (existing === attribute.value) return true;
  // Attribution reads numbers as text (readString), so `chargeback.team: 42` already says "42".
  return attribute.type === 'string' && (typeof existing === 'number' || typeof existing === 'bigint') && String(existing) === attribute.value;
}
