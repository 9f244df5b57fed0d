import type { CallOutcome, StreamObserver } from '../genai/outcome.js';
import { count, record, text } from '../genai/read.js';
import type { Planner } from '../genai/traced-call.js';
import { describeOpenAIClient } from './client.js';

/** `embeddings.create`: input tokens only (embeddings produce no output tokens). */
export const planEmbeddings: Planner = (resource, args) => {
  const params = record(args[0]);
  if (params === undefined) return undefined;
  return {
    request: { ...describeOpenAIClient(resource), operation: 'embeddings', model: text(params['model']) },
    args,
    stream: false,
    readResult: readEmbeddings,
    observeStream: noStream,
  };
};

export function readEmbeddings(data: unknown): CallOutcome {
  const result = record(data);
  if (result === undefined) return {};
  const inputTokens = count(record(result['usage'])?.['prompt_tokens']);
  return { responseModel: text(result['model']), usage: inputTokens === undefined ? undefined : { inputTokens } };
}

function noStream(): StreamObserver {
  return { onItem: () => true, outcome: () => ({}) };
}
