import type { Usage } from '../genai/outcome.js';
import { count, record } from '../genai/read.js';

/** Chat Completions / Embeddings usage: `prompt_tokens` already includes cached tokens, `completion_tokens` reasoning tokens. */
export function chatUsage(value: unknown): Usage | undefined {
  const usage = record(value);
  if (usage === undefined) return undefined;
  return {
    inputTokens: count(usage['prompt_tokens']),
    outputTokens: count(usage['completion_tokens']),
    cacheReadTokens: count(record(usage['prompt_tokens_details'])?.['cached_tokens']),
    reasoningTokens: count(record(usage['completion_tokens_details'])?.['reasoning_tokens']),
  };
}

/** Responses API usage: same meanings, other names. */
export function responsesUsage(value: unknown): Usage | undefined {
  const usage = record(value);
  if (usage === undefined) return undefined;
  return {
    inputTokens: count(usage['input_tokens']),
    outputTokens: count(usage['output_tokens']),
    cacheReadTokens: count(record(usage['input_tokens_details'])?.['cached_tokens']),
    reasoningTokens: count(record(usage['output_tokens_details'])?.['reasoning_tokens']),
  };
}
