import type { CallOutcome } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import { responsesUsage } from './usage.js';

/** The stream events that carry a finished response, its usage included. */
export const FINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** A Responses API response object: as `responses.create` returns it, and as its final stream event carries it. */
export function readResponse(data: unknown): CallOutcome {
  const response = record(data);
  if (response === undefined) return {};
  const reason = finishReason(response);
  return {
    responseId: text(response['id']),
    responseModel: text(response['model']),
    finishReasons: reason === undefined ? [] : [reason],
    usage: responsesUsage(response['usage']),
    serviceTier: text(response['service_tier']),
    webSearchCalls: countWebSearches(response['output']),
    fileSearchCalls: countItems(response['output'], (item) => text(item['type']) === 'file_search_call'),
    // The response repeats the request's tools, also those a stored prompt set on the server.
    webSearchTool: declaredWebSearchTool(response['tools']),
  };
}

/**
 * The `web_search_call` output items that searched: OpenAI bills a call per `search` action, not the `open_page` and
 * `find_in_page` actions reasoning models also take. An item without an action counts, so an unknown is never free.
 */
function countWebSearches(output: unknown): number | undefined {
  return countItems(output, (item) => {
    if (text(item['type']) !== 'web_search_call') return false;
    const action = text(record(item['action'])?.['type']);
    return action === undefined || action === 'search';
  });
}

/** How many output items match; undefined when there is none (most calls), so the span carries no zero. */
function countItems(output: unknown, matches: (item: Record<string, unknown>) => boolean): number | undefined {
  if (!Array.isArray(output)) return undefined;
  let count = 0;
  for (const item of output) {
    const fields = record(item);
    if (fields !== undefined && matches(fields)) count += 1;
  }
  return count === 0 ? undefined : count;
}

/** The web search tool among a request's tools, as declared (`web_search`, `web_search_preview_2025_03_11`). */
export function declaredWebSearchTool(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return undefined;
  return tools.map((tool) => text(record(tool)?.['type'])).find((type) => type?.startsWith('web_search') === true);
}

/** The Responses API has a status rather than finish reasons: completed → stop, incomplete → its reason. */
function finishReason(response: Record<string, unknown>): string | undefined {
  const status = text(response['status']);
  if (status === 'completed') return 'stop';
  if (status === 'incomplete') return text(record(response['incomplete_details'])?.['reason']) ?? status;
  if (status === 'cancelled') return status;
  return status === 'failed' ? 'error' : undefined;
}
