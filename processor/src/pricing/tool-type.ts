/**
 * A hosted tool's type as the price book's `per_tool_call` names it: lower case, without the version date providers
 * append (`web_search_preview_2025_03_11` → `web_search_preview`, Anthropic's `web_search_20250305` → `web_search`),
 * as every version of a tool is billed alike. Null for an empty name.
 */
export function toolType(declared: string | null | undefined): string | null {
  const type = declared?.trim().toLowerCase().replace(/_?\d{4}_?\d{2}_?\d{2}$/, '');
  return type === undefined || type === '' ? null : type;
}
