import type { Attributes } from '../otlp/types.js';
import { readCount } from './read-attribute.js';

/** Token counts in the semconv meaning: input INCLUDES cache read and cache write; output INCLUDES reasoning. */
export interface Usage {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  /** The part of `cacheWrite` written with a 1-hour lifetime (Anthropic bills it at its own rate). */
  cacheWrite1h: number | null;
  reasoning: number | null;
}

/**
 * Instrumentations whose Anthropic input count is the UNCACHED part only (REFERENCE.md, "What real
 * instrumentations send"): OpenLLMetry and OpenLIT. Their scope names say who sent the span.
 */
const uncachedAnthropicInputScopes = [/traceloop/i, /openlit/i];

/** Reads usage in every dialect DESIGN.md lists; null when the span carries no usage at all. */
export function readUsage(attributes: Attributes, scopeName: string, provider: string | null): Usage | null {
  const input = readCount(
    attributes,
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.usage.prompt_tokens',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
  );
  const output = readCount(
    attributes,
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.usage.completion_tokens',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
  );
  const cacheRead = readCount(
    attributes,
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.usage.cache_read_input_tokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
  );
  const cacheWrite = readCount(
    attributes,
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_write.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.usage.cache_creation_input_tokens',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  );
  // No semantic convention names it: the preload writes Anthropic's field under the provider's namespace.
  const cacheWrite1h = readCount(attributes, 'anthropic.usage.cache_creation.ephemeral_1h_input_tokens');
  const reasoning = readCount(
    attributes,
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
  );
  if (input === null && output === null && cacheRead === null && cacheWrite === null) return null;

  const cached = (cacheRead ?? 0) + (cacheWrite ?? 0);
  // An input smaller than its own cache part can only be an uncached count, whoever sent it.
  const inputIsUncached =
    input !== null &&
    cached > 0 &&
    ((provider === 'anthropic' && uncachedAnthropicInputScopes.some((scope) => scope.test(scopeName))) || input < cached);
  return {
    input: input === null ? (cached > 0 ? cached : null) : inputIsUncached ? input + cached : input,
    output,
    cacheRead,
    cacheWrite,
    cacheWrite1h,
    reasoning,
  };
}
