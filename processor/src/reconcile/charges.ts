/**
 * Charges that are not model tokens, named the same on both sides: providers bill hosted-tool fees as charges of
 * their own (Anthropic "Web Search Usage", cost_type `web_search`, with no model), and the ledger keeps them, per
 * call, in `chargeback.tool_fee_usd.<tool>`.
 */

/** The ledger's tool types (price book `per_tool_call` keys) → the charge they are billed under. */
export function toolChargeLabel(tool: string): string {
  return chargeLabel(tool.replace(/_/g, ' '));
}

/** A provider's charge label, with web and file search folded to one name each; other labels as reported. */
export function chargeLabel(label: string): string {
  if (/web[\s_-]*search/i.test(label)) return 'web search';
  if (/file[\s_-]*search/i.test(label)) return 'file search';
  return label;
}
