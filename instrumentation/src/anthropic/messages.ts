import type { ServerAddress } from '../genai/model-call.js';
import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import { serverOf } from '../genai/server.js';
import type { Planner } from '../genai/traced-call.js';
import { mergeAnthropicUsage, toSemconvUsage, type AnthropicUsage } from './usage.js';

/** `messages.create`, plain and `stream: true`; `messages.stream()` runs through it too. */
export const planMessages: Planner = (resource, args) => {
  const params = record(args[0]);
  if (params === undefined) return undefined;
  return {
    request: { ...describeAnthropicClient(resource), operation: 'chat', model: text(params['model']) },
    args,
    stream: params['stream'] === true,
    readResult: readMessage,
    observeStream: () => new MessagesStreamObserver(),
  };
};

function describeAnthropicClient(resource: unknown): { provider: string; server: ServerAddress | undefined } {
  const client = record(record(resource)?.['_client']);
  // The Bedrock and Vertex clients of the same SDK name their provider here.
  return { provider: text(client?.['_genAIProviderName']) ?? 'anthropic', server: serverOf(client?.['baseURL']) };
}

export function readMessage(data: unknown): CallOutcome {
  const message = record(data);
  if (message === undefined) return {};
  const stopReason = text(message['stop_reason']);
  return {
    responseId: text(message['id']),
    responseModel: text(message['model']),
    finishReasons: stopReason === undefined ? [] : [stopReason],
    usage: toSemconvUsage(mergeAnthropicUsage({}, message['usage'])),
  };
}

/** Usage arrives in `message_start` (input, cache) and `message_delta` (cumulative output, sometimes updated input). */
export class MessagesStreamObserver implements StreamObserver {
  private id: string | undefined;
  private model: string | undefined;
  private stopReason: string | undefined;
  private readonly usage: AnthropicUsage = {};

  onItem(item: unknown): boolean {
    const event = record(item);
    const type = text(event?.['type']);
    if (type === 'message_start') {
      const message = record(event?.['message']);
      this.id = text(message?.['id']);
      this.model = text(message?.['model']);
      mergeAnthropicUsage(this.usage, message?.['usage']);
    } else if (type === 'message_delta') {
      this.stopReason = text(record(event?.['delta'])?.['stop_reason']) ?? this.stopReason;
      mergeAnthropicUsage(this.usage, event?.['usage']);
    }
    return true;
  }

  outcome(): CallOutcome {
    return {
      responseId: this.id,
      responseModel: this.model,
      finishReasons: this.stopReason === undefined ? [] : [this.stopReason],
      usage: toSemconvUsage(this.usage),
    };
  }
}
