import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import type { Planner } from '../genai/traced-call.js';
import type { GenAIOperation } from '../semconv.js';
import { describeOpenAIClient } from './client.js';
import { chatUsage } from './usage.js';

interface CompletionsOptions {
  injectStreamUsage: boolean;
}

/** `chat.completions.create`: plain and streamed. */
export function planChatCompletions(options: CompletionsOptions): Planner {
  return planCompletions('chat', options);
}

/**
 * The legacy `completions.create` (`gpt-3.5-turbo-instruct`, and OpenAI-compatible servers such as vLLM): the same
 * response, stream and usage shapes as chat completions, `choices[].text` in place of messages.
 */
export function planTextCompletions(options: CompletionsOptions): Planner {
  return planCompletions('text_completion', options);
}

function planCompletions(operation: GenAIOperation, options: CompletionsOptions): Planner {
  return (resource, args) => {
    const params = record(args[0]);
    if (params === undefined) return undefined;
    const stream = params['stream'] === true;
    const streamOptions = record(params['stream_options']);
    // A stream carries usage only when asked; ask for it, and hide the extra chunk so the app sees its own stream.
    const inject = stream && options.injectStreamUsage && streamOptions?.['include_usage'] !== true;
    const sent = inject ? [{ ...params, stream_options: { ...streamOptions, include_usage: true } }, ...args.slice(1)] : args;
    return {
      request: {
        ...describeOpenAIClient(resource),
        operation,
        model: text(params['model']),
        serviceTier: text(params['service_tier']),
      },
      args: sent,
      stream,
      readResult: readChatCompletion,
      observeStream: () => new ChatStreamObserver(inject),
    };
  };
}

export function readChatCompletion(data: unknown): CallOutcome {
  const completion = record(data);
  if (completion === undefined) return {};
  const choices = completion['choices'];
  const finishReasons: string[] = [];
  if (Array.isArray(choices)) {
    for (const choice of choices) {
      const reason = text(record(choice)?.['finish_reason']);
      if (reason !== undefined) finishReasons.push(reason);
    }
  }
  return {
    responseId: text(completion['id']),
    responseModel: text(completion['model']),
    finishReasons,
    usage: chatUsage(completion['usage']),
    serviceTier: text(completion['service_tier']),
  };
}

export class ChatStreamObserver implements StreamObserver {
  private readonly received: CallOutcome = {};
  private readonly reasons: string[] = [];

  /** @param hideUsage the instrumentation asked for usage: hide the usage-only chunk and the `usage: null` it adds to every chunk. */
  constructor(private readonly hideUsage: boolean) {}

  onItem(item: unknown): boolean {
    const chunk = record(item);
    if (chunk === undefined) return true;
    this.received.responseId ??= text(chunk['id']);
    this.received.responseModel = text(chunk['model']) ?? this.received.responseModel;
    this.received.serviceTier = text(chunk['service_tier']) ?? this.received.serviceTier;
    const choices = chunk['choices'];
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        const entry = record(choice);
        const reason = text(entry?.['finish_reason']);
        const index = entry?.['index'];
        if (reason !== undefined) this.reasons[typeof index === 'number' ? index : this.reasons.length] = reason;
      }
    }
    const usage = chatUsage(chunk['usage']);
    if (usage !== undefined) this.received.usage = usage;
    if (!this.hideUsage) return true;
    if (usage !== undefined && Array.isArray(choices) && choices.length === 0) return false;
    if (chunk['usage'] === null) delete chunk['usage'];
    return true;
  }

  outcome(): CallOutcome {
    return { ...this.received, finishReasons: this.reasons.filter((reason) => reason !== undefined) };
  }
}
