import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import type { Planner } from '../genai/traced-call.js';
import { holdWhileRunning } from './background-responses.js';
import { describeOpenAIClient } from './client.js';
import { readResponse } from './read-response.js';

/**
 * `responses.create`: plain and streamed (usage arrives in the final `response.completed` event), and in the
 * background (the call ends when the app sees the response finished: background-responses.ts).
 */
export const planResponses: Planner = (resource, args) => {
  const params = record(args[0]);
  if (params === undefined) return undefined;
  return {
    request: { ...describeOpenAIClient(resource), operation: 'chat', model: text(params['model']) },
    args,
    stream: params['stream'] === true,
    readResult: readResponse,
    endsLater: holdWhileRunning,
    observeStream: () => new ResponsesStreamObserver(),
  };
};

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
