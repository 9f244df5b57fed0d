import type { Attributes } from '../otlp/types.js';
import { toolType } from '../pricing/tool-type.js';
import { readCount, readString } from './read-attribute.js';

/**
 * Calls of provider-hosted tools billed per call, by tool type as the price book's `per_tool_call` names them.
 * No semantic convention counts them yet; the preload writes each provider's own field under its namespace:
 * - Anthropic: `usage.server_tool_use.web_search_requests` (the Messages API's web search tool);
 * - OpenAI: the Responses API's `web_search_call` output items that searched, and which web search tool the request
 *   declared (`web_search` and `web_search_preview` are billed differently on some models); its `file_search_call`
 *   items (`file_search`).
 * Only tools with at least one call are listed.
 */
export function readToolCalls(attributes: Attributes): ReadonlyMap<string, number> {
  const anthropicSearches = readCount(attributes, 'anthropic.usage.server_tool_use.web_search_requests') ?? 0;
  const openAiSearches = readCount(attributes, 'openai.response.web_search_calls') ?? 0;
  const fileSearches = readCount(attributes, 'openai.response.file_search_calls') ?? 0;
  // Most calls use no hosted tool: one shared empty map, not one per span on the ingest path.
  if (anthropicSearches === 0 && openAiSearches === 0 && fileSearches === 0) return noToolCalls;
  const calls = new Map<string, number>();
  if (anthropicSearches > 0) calls.set('web_search', anthropicSearches);
  if (openAiSearches > 0) calls.set(toolType(readString(attributes, 'openai.request.web_search_tool')) ?? 'web_search', openAiSearches);
  if (fileSearches > 0) calls.set('file_search', fileSearches);
  return calls;
}

const noToolCalls: ReadonlyMap<string, number> = new Map();
