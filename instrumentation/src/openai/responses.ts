import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import type { Planner } from '../genai/traced-call.js';
import { describeOpenAIClient } from './client.js';
import { responsesUsage } from './usage.js';

/** `responses.create`: plain and streamed (usage arrives in the final `response.completed` event). */
export const planResponses: Planner = (resource, args) => {
  const params = record(args[0]);
  if (params === undefined) return undefined;
  return {
    request: { ...describeOpenAIClient(resource), operation: 'chat', model: text(params['model']) },
    args,
    stream: params['stream'] === true,
    readResult: readResponse,
    observeStream: () => new ResponsesStreamObserver(),
  };
};

export function readResponse(data: unknown): CallOutcome {
  const response = record(data);
  if (response === undefined) return {};
  const reason = finishReason(response);
  return {
    responseId: text(response['id']),
    responseModel: text(response['model']),
    finishReasons: reason === undefined ? [] : [reason],
    usage: responsesUsage(response['usage']),
  };
}

/** The Responses API has a status rather than finish reasons: completed → stop, incomplete → its reason. */
function finishReason(response: Record<string, unknown>): string | undefined {
  const status = text(response['status']);
  if (status === 'completed') return 'stop';
  if (status === 'incomplete') return text(record(response['incomplete_details'])?.['reason']) ?? status;
  return status === 'failed' ? 'error' : undefined;
}

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const RESPONSE_EVENTS = new Set(['response.created', 'response.in_progress', ...FINAL_EVENTS]);

export class ResponsesStreamObserver implements StreamObserver {
  private received: CallOutcome = {};

  onItem(item: unknown): boolean {
    const event = record(item);
    const type = text(event?.['type']);
    if (type === undefined || !RESPONSE_EVENTS.has(type)) return true;
    const response = record(event?.['response']);
    if (response === undefined) return true;
    if (FINAL_EVENTS.has(type)) {
      this.received = readResponse(response);
    } else {
      this.received.responseId ??= text(response['id']);
      this.received.responseModel ??= text(response['model']);
    }
    return true;
  }

  outcome(): CallOutcome {
    return this.received;
  }
}
