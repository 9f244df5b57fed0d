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
    webSearchCalls: countWebSearchCalls(response['output']),
  };
}

/** Each `web_search_call` output item is one billed search; undefined when there is none (most calls). */
function countWebSearchCalls(output: unknown): number | undefined {
  if (!Array.isArray(output)) return undefined;
  const searches = output.filter((item) => text(record(item)?.['type']) === 'web_search_call').length;
  return searches === 0 ? undefined : searches;
}

/** The Responses API has a status rather than finish reasons: completed → stop, incomplete → its reason. */
function finishReason(response: Record<string, unknown>): string | undefined {
  const status = text(response['status']);
  if (status === 'completed') return 'stop';
  if (status === 'incomplete') return text(record(response['incomplete_details'])?.['reason']) ?? status;
  if (status === 'cancelled') return status;
  return status === 'failed' ? 'error' : undefined;
}
