import { describe, expect, it } from 'vitest';
import { MessagesStreamObserver, readMessage } from '../../instrumentation/src/anthropic/messages.js';
import { toSemconvUsage } from '../../instrumentation/src/anthropic/usage.js';
import { ChatStreamObserver, readChatCompletion } from '../../instrumentation/src/openai/chat.js';
import { ResponsesStreamObserver } from '../../instrumentation/src/openai/responses.js';

const usageChunk = {
  id: 'c1',
  model: 'gpt-4.1-2025-04-14',
  choices: [],
  usage: { prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1000 }, completion_tokens_details: { reasoning_tokens: 120 } },
};

describe('OpenAI chat stream observer', () => {
  it('hides the usage-only chunk and the usage: null it asked for, and records usage and finish reasons', () => {
    const observer = new ChatStreamObserver(true);
    const first = { id: 'c1', model: 'gpt-4.1-2025-04-14', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], usage: null };
    const last = { id: 'c1', model: 'gpt-4.1-2025-04-14', choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: null };
    expect(observer.onItem(first)).toBe(true);
    expect(first).not.toHaveProperty('usage');
    expect(observer.onItem(last)).toBe(true);
    expect(observer.onItem(usageChunk)).toBe(false);
    expect(observer.outcome()).toEqual({
      responseId: 'c1',
      responseModel: 'gpt-4.1-2025-04-14',
      finishReasons: ['length'],
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 1000, reasoningTokens: 120 },
    });
  });

  it('passes everything through when the app asked for usage itself', () => {
    const observer = new ChatStreamObserver(false);
    const chunk = { ...usageChunk };
    expect(observer.onItem(chunk)).toBe(true);
    expect(chunk.usage).toBeDefined();
  });

  it('reads a completion with missing or odd fields without failing', () => {
    expect(readChatCompletion({ id: 5, choices: 'x', usage: { prompt_tokens: -1, completion_tokens: 2.5 } })).toEqual({
      responseId: undefined,
      responseModel: undefined,
      finishReasons: [],
      usage: { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined, reasoningTokens: undefined },
    });
    expect(readChatCompletion(null)).toEqual({});
  });
});

describe('Responses stream observer', () => {
  it('takes id and model from response.created and usage from response.completed', () => {
    const observer = new ResponsesStreamObserver();
    observer.onItem({ type: 'response.created', response: { id: 'r1', model: 'o4-mini', status: 'in_progress', usage: null } });
    observer.onItem({ type: 'response.output_text.delta', delta: 'x' });
    expect(observer.outcome()).toEqual({ responseId: 'r1', responseModel: 'o4-mini' });
    observer.onItem({
      type: 'response.incomplete',
      response: { id: 'r1', model: 'o4-mini', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 9, output_tokens: 4 } },
    });
    expect(observer.outcome()).toMatchObject({ finishReasons: ['max_output_tokens'], usage: { inputTokens: 9, outputTokens: 4 } });
  });
});

describe('Anthropic usage', () => {
  it('adds cache reads and writes to input tokens (semantic-convention meaning)', () => {
    expect(toSemconvUsage({ input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 300 })).toEqual({
      inputTokens: 1250,
      outputTokens: 300,
      cacheReadTokens: 1000,
      cacheCreationTokens: 200,
    });
    expect(readMessage({ usage: { input_tokens: 7, output_tokens: 3 } }).usage).toEqual({ inputTokens: 7, outputTokens: 3, cacheReadTokens: undefined, cacheCreationTokens: undefined });
    expect(toSemconvUsage({})).toBeUndefined();
  });

  it('combines message_start and message_delta usage in a stream, later values winning', () => {
    const observer = new MessagesStreamObserver();
    observer.onItem({ type: 'message_start', message: { id: 'm1', model: 'claude-sonnet-4-6', usage: { input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0, output_tokens: 1 } } });
    observer.onItem({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'hi' } });
    observer.onItem({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 512, cache_creation_input_tokens: 64 } });
    expect(observer.outcome()).toEqual({
      responseId: 'm1',
      responseModel: 'claude-sonnet-4-6',
      finishReasons: ['max_tokens'],
      usage: { inputTokens: 1114, outputTokens: 512, cacheReadTokens: 1000, cacheCreationTokens: 64 },
    });
  });
});
