/**
 * Charges that are not model tokens, named the same on both sides: providers bill hosted-tool fees as charges of
 * their own (Anthropic "Web Search Usage", cost_type `web_search`, with no model), and the ledger keeps them, per
 * call, in `chargeback.tool_fee_usd.<tool>`.
 */

/** The ledger's tool types (price book `per_tool_call` keys) → the charge they are billed under. */
export function toolChargeLabel(tool: string): string {
  const label = tool.replace(/_/g, ' ');
  return hostedToolCharge(label) ?? label;
}

/** `web search` or `file search` when a provider's label names that tool's charge (whatever model it names), else null. */
export function hostedToolCharge(label: string | null): string | null {
  if (label === null) return null;
  if (/web[\s_-]*search/i.test(label)) return 'web search';
  if (/file[\s_-]*search/i.test(label)) return 'file search';
  return null;
}
