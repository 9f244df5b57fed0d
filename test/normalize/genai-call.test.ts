import { describe, expect, it } from 'vitest';
import { toGenAiCall } from '../../processor/src/normalize/genai-call.js';
import { makeSpan } from '../support/spans.js';

describe('toGenAiCall: recognising a model call in every dialect', () => {
  it('reads current semconv, input already including cache tokens', () => {
    const call = toGenAiCall(
      makeSpan({
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4.1',
          'gen_ai.response.model': 'gpt-4.1-2025-04-14',
          'gen_ai.response.id': 'chatcmpl-1',
          'gen_ai.usage.input_tokens': 1200,
          'gen_ai.usage.output_tokens': 300,
          'gen_ai.usage.cache_read.input_tokens': 1000,
          'gen_ai.usage.reasoning.output_tokens': 120,
        },
      }),
    );
    expect(call).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4.1',
      responseModel: 'gpt-4.1-2025-04-14',
      responseId: 'chatcmpl-1',
      usage: { input: 1200, output: 300, cacheRead: 1000, cacheWrite: null, cacheWrite1h: null, reasoning: 120 },
      status: 'ok',
    });
  });

  it('reads deprecated gen_ai.system and prompt/completion tokens', () => {
    const call = toGenAiCall(
      makeSpan({
        attributes: {
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.prompt_tokens': 55,
          'gen_ai.usage.completion_tokens': 8,
        },
      }),
    );
    expect(call?.provider).toBe('openai');
    expect(call?.usage).toEqual({ input: 55, output: 8, cacheRead: null, cacheWrite: null, cacheWrite1h: null, reasoning: null });
  });

  it('reads OpenLLMetry llm.usage.* and converts its uncached Anthropic input to the semconv meaning', () => {
    const openai = toGenAiCall(
      makeSpan({
        scopeName: '@traceloop/instrumentation-openai',
        attributes: { 'llm.vendor': 'OpenAI', 'llm.request.model': 'gpt-4o', 'llm.usage.prompt_tokens': 10, 'llm.usage.completion_tokens': 4 },
      }),
    );
    expect(openai?.usage).toMatchObject({ input: 10, output: 4 });
    const anthropic = toGenAiCall(
      makeSpan({
        scopeName: '@traceloop/instrumentation-anthropic',
        attributes: {
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-5',
          'gen_ai.usage.input_tokens': 50,
          'gen_ai.usage.cache_read_input_tokens': 1000,
          'gen_ai.usage.cache_creation_input_tokens': 200,
          'gen_ai.usage.output_tokens': 70,
        },
      }),
    );
    expect(anthropic?.usage).toEqual({ input: 1250, output: 70, cacheRead: 1000, cacheWrite: 200, cacheWrite1h: null, reasoning: null });
  });

  it("keeps the Anthropic SDK's own span as semconv (input includes cache, cache_write key)", () => {
    const call = toGenAiCall(
      makeSpan({
        scopeName: 'com.anthropic.sdk.typescript',
        attributes: {
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'claude-sonnet-4-5',
          'gen_ai.usage.input_tokens': 1250,
          'gen_ai.usage.cache_read.input_tokens': 1000,
          'gen_ai.usage.cache_write.input_tokens': 200,
          'gen_ai.usage.output_tokens': 70,
        },
      }),
    );
    expect(call?.usage).toEqual({ input: 1250, output: 70, cacheRead: 1000, cacheWrite: 200, cacheWrite1h: null, reasoning: null });
  });

  it("keeps OpenLIT's reported cost beside the usage", () => {
    const call = toGenAiCall(
      makeSpan({
        scopeName: 'openlit.otel.tracing',
        attributes: {
          'gen_ai.system': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 5,
          'gen_ai.usage.cost': 0.0125,
        },
      }),
    );
    expect(call?.reportedCostUsd).toBe(0.0125);
  });

  it('counts only the inner Vercel AI SDK span, with its cache details', () => {
    const outer = makeSpan({
      kind: 1,
      attributes: { 'ai.operationId': 'ai.generateText', 'ai.model.provider': 'openai.chat', 'ai.model.id': 'gpt-4o', 'ai.usage.inputTokens': 900, 'ai.usage.outputTokens': 20 },
    });
    const inner = makeSpan({
      kind: 1,
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'gen_ai.system': 'openai.chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 900,
        'gen_ai.usage.output_tokens': 20,
        'ai.usage.inputTokenDetails.cacheReadTokens': 512,
        'ai.usage.outputTokenDetails.reasoningTokens': 0,
      },
    });
    expect(toGenAiCall(outer)).toBeNull();
    const call = toGenAiCall(inner);
    expect(call?.provider).toBe('openai');
    expect(call?.operation).toBe('chat');
    expect(call?.usage).toEqual({ input: 900, output: 20, cacheRead: 512, cacheWrite: null, cacheWrite1h: null, reasoning: 0 });
  });

  it("reads the preload's Anthropic 1-hour cache writes, part of the cache writes", () => {
    const call = toGenAiCall(
      makeSpan({
        attributes: {
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'claude-sonnet-4-5',
          'gen_ai.usage.input_tokens': 5_000,
          'gen_ai.usage.output_tokens': 40,
          'gen_ai.usage.cache_creation.input_tokens': 3_000,
          'anthropic.usage.cache_creation.ephemeral_1h_input_tokens': 2_000,
        },
      }),
    );
    expect(call?.usage).toEqual({ input: 5_000, output: 40, cacheRead: null, cacheWrite: 3_000, cacheWrite1h: 2_000, reasoning: null });
  });

  it('keeps a call with no usage (unpriced later), and marks failures', () => {
    const call = toGenAiCall(
      makeSpan({
        statusCode: 2,
        attributes: { 'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-haiku-4-5', 'error.type': 'RateLimitError', 'http.request.resend_count': 2 },
      }),
    );
    expect(call).toMatchObject({ usage: null, status: 'error', errorType: 'RateLimitError', attempts: 3 });
  });

  it('ignores spans that are not model calls', () => {
    expect(toGenAiCall(makeSpan({ attributes: { 'http.request.method': 'POST', 'url.full': 'http://x/v1/chat' } }))).toBeNull();
    expect(toGenAiCall(makeSpan({ attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 5 } }))).toBeNull();
  });
});
