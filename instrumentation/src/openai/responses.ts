import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import type { Planner } from '../genai/traced-call.js';
import type { ModelCall } from '../genai/model-call.js';
import { holdUntilFinished, holdWhileRunning } from './background-responses.js';
import { describeOpenAIClient } from './client.js';
import { FINAL_RESPONSE_EVENTS, declaredWebSearchTool, readResponse } from './read-response.js';

/**
 * `responses.create`: plain and streamed (usage arrives in the final `response.completed` event), and in the
 * background (the call ends when the app sees the response finished: background-responses.ts).
 */
export const planResponses: Planner = (resource, args) => {
  const params = record(args[0]);
  if (params === undefined) return undefined;
  return {
    request: {
      ...describeOpenAIClient(resource),
      operation: 'chat',
      model: text(params['model']),
      serviceTier: text(params['service_tier']),
      webSearchTool: declaredWebSearchTool(params['tools']),
    },
    args,
    stream: params['stream'] === true,
    readResult: readResponse,
    endsLater: holdWhileRunning,
    observeStream: () => new ResponsesStreamObserver(params['background'] === true),
  };
};

const RESPONSE_EVENTS = new Set(['response.created', 'response.queued', 'response.in_progress', ...FINAL_RESPONSE_EVENTS]);

export class ResponsesStreamObserver implements StreamObserver {
  private received: CallOutcome = {};
  private finished = false;

  /** `background`: the response goes on if the stream stops early, and the app may poll it to its end. */
  constructor(private readonly background = false) {}

  onItem(item: unknown): boolean {
    const event = record(item);
    const type = text(event?.['type']);
    if (type === undefined || !RESPONSE_EVENTS.has(type)) return true;
    const response = record(event?.['response']);
    if (response === undefined) return true;
    if (FINAL_RESPONSE_EVENTS.has(type)) {
      this.received = readResponse(response);
      this.finished = true;
    } else {
      this.received.responseId ??= text(response['id']);
      this.received.responseModel ??= text(response['model']);
      this.received.serviceTier = text(response['service_tier']) ?? this.received.serviceTier;
    }
    return true;
  }

  outcome(): CallOutcome {
    return this.received;
  }

  continuesAfter(call: ModelCall): boolean {
    const id = this.received.responseId;
    if (!this.background || this.finished || id === undefined) return false;
    holdUntilFinished(id, call, this.received);
    return true;
  }
}
