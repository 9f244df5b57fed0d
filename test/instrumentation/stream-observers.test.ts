import { describe, expect, it } from 'vitest';
import { MessagesStreamObserver, readMessage } from '../../instrumentation/src/anthropic/messages.js';
import { toSemconvUsage } from '../../instrumentation/src/anthropic/usage.js';
import { ChatStreamObserver, readChatCompletion } from '../../instrumentation/src/openai/chat.js';
import { readResponse } from '../../instrumentation/src/openai/read-response.js';
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

describe('web searches in a Responses API response', () => {
  const search = (action?: string) => ({ type: 'web_search_call', id: 'ws', status: 'completed', ...(action && { action: { type: action, query: 'q' } }) });
  const message = { type: 'message', id: 'm', role: 'assistant', content: [] };

  it('counts the search actions (and items without an action), not page opens or finds, and reads the tool the response echoes', () => {
    const outcome = readResponse({
      id: 'r1',
      status: 'completed',
      output: [search('search'), search('open_page'), search('find_in_page'), search(), search('search'), message],
      tools: [{ type: 'function', name: 'lookup' }, { type: 'web_search_preview_2025_03_11' }],
      usage: { input_tokens: 9, output_tokens: 4 },
    });
    expect(outcome).toMatchObject({ webSearchCalls: 3, webSearchTool: 'web_search_preview_2025_03_11', fileSearchCalls: undefined });
    const fileSearch = { type: 'file_search_call', id: 'fs', status: 'completed', queries: ['q'], results: null };
    expect(readResponse({ id: 'r4', status: 'completed', output: [fileSearch, fileSearch, message] })).toMatchObject({ fileSearchCalls: 2, webSearchCalls: undefined });
    expect(readResponse({ id: 'r2', status: 'completed', output: [message, search('open_page')], tools: [] })).toMatchObject({
      webSearchCalls: undefined,
      webSearchTool: undefined,
    });
  });

  it('takes the count from the streamed response.completed event', () => {
    const observer = new ResponsesStreamObserver();
    observer.onItem({ type: 'response.created', response: { id: 'r3', model: 'gpt-5', status: 'in_progress', output: [], usage: null } });
    expect(observer.outcome().webSearchCalls).toBeUndefined();
    observer.onItem({ type: 'response.completed', response: { id: 'r3', model: 'gpt-5', status: 'completed', output: [search('search'), search('search')], tools: [{ type: 'web_search' }] } });
    expect(observer.outcome()).toMatchObject({ webSearchCalls: 2, webSearchTool: 'web_search' });
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

  it("takes the web searches from the stream's last count: message_delta's cumulative server_tool_use", () => {
    const observer = new MessagesStreamObserver();
    observer.onItem({ type: 'message_start', message: { id: 'm2', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 1, server_tool_use: { web_search_requests: 0 } } } });
    expect(observer.outcome().usage?.webSearchRequests).toBe(0);
    observer.onItem({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40, server_tool_use: { web_search_requests: 3 } } });
    observer.onItem({ type: 'message_delta', delta: {}, usage: { output_tokens: 41, server_tool_use: null } });
    expect(observer.outcome().usage).toMatchObject({ outputTokens: 41, webSearchRequests: 3 });
    expect(readMessage({ usage: { input_tokens: 7, output_tokens: 3, server_tool_use: { web_search_requests: 2 } } }).usage?.webSearchRequests).toBe(2);
  });
});
