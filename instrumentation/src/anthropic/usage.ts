import type { Usage } from '../genai/outcome.js';
import { count, record } from '../genai/read.js';

/** Anthropic's usage fields as received; `input_tokens` EXCLUDES the cache tokens reported beside it. */
export interface AnthropicUsage {
  input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** The part of `cache_creation_input_tokens` written with a 1-hour lifetime (`cache_creation.ephemeral_1h_input_tokens`). */
  ephemeral_1h_input_tokens?: number;
  output_tokens?: number;
  /** Searches the web search tool made (`server_tool_use.web_search_requests`), billed per search. */
  web_search_requests?: number;
}

/** Overlays the fields present in `value` (a `usage` object) onto `into`: stream events repeat or update them. */
export function mergeAnthropicUsage(into: AnthropicUsage, value: unknown): AnthropicUsage {
  const usage = record(value);
  if (usage === undefined) return into;
  const input = count(usage['input_tokens']);
  const cacheRead = count(usage['cache_read_input_tokens']);
  const cacheCreation = count(usage['cache_creation_input_tokens']);
  const output = count(usage['output_tokens']);
  const oneHour = count(record(usage['cache_creation'])?.['ephemeral_1h_input_tokens']);
  const webSearches = count(record(usage['server_tool_use'])?.['web_search_requests']);
  if (input !== undefined) into.input_tokens = input;
  if (oneHour !== undefined) into.ephemeral_1h_input_tokens = oneHour;
  if (cacheRead !== undefined) into.cache_read_input_tokens = cacheRead;
  if (cacheCreation !== undefined) into.cache_creation_input_tokens = cacheCreation;
  if (output !== undefined) into.output_tokens = output;
  if (webSearches !== undefined) into.web_search_requests = webSearches;
  return into;
}

/** Converts to the semantic-convention meaning: input tokens include cache reads and cache writes. */
export function toSemconvUsage(usage: AnthropicUsage): Usage | undefined {
  const { input_tokens: uncached, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheCreation } = usage;
  if (uncached === undefined && usage.output_tokens === undefined) return undefined;
  return {
    inputTokens: uncached === undefined ? undefined : uncached + (cacheRead ?? 0) + (cacheCreation ?? 0),
    outputTokens: usage.output_tokens,
    cacheReadTokens: cacheRead,
    cacheCreationTokens: cacheCreation,
    cacheCreation1hTokens: usage.ephemeral_1h_input_tokens,
    webSearchRequests: usage.web_search_requests,
  };
}
