import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { attributionAttributes } from '../attribution/span-attributes.js';
import {
  ATTR_ANTHROPIC_USAGE_CACHE_CREATION_1H_INPUT_TOKENS,
  ATTR_ANTHROPIC_USAGE_SERVER_TOOL_USE_WEB_SEARCH_REQUESTS,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  ATTR_OPENAI_REQUEST_WEB_SEARCH_TOOL,
  ATTR_OPENAI_RESPONSE_FILE_SEARCH_CALLS,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_WEB_SEARCH_CALLS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  type GenAIOperation,
  type GenAIProvider,
} from '../semconv.js';
import { MODEL_CALL_KEY, type ModelCallState } from './call-context.js';
import type { CallOutcome } from './outcome.js';

/** A model call as known before the request leaves. */
export interface ModelRequest {
  provider: GenAIProvider;
  operation: GenAIOperation;
  model: string | undefined;
  server: ServerAddress | undefined;
  /** The service tier asked for (OpenAI's `service_tier` parameter). */
  serviceTier?: string | undefined;
  /** The web search tool the request declared (OpenAI `web_search`, `web_search_preview`): it sets the fee. */
  webSearchTool?: string | undefined;
}

export interface ServerAddress {
  address: string;
  port: number;
}

/** One model call: its CLIENT span, the HTTP attempts the SDK made, and how it ended. Ends its span once. */
export class ModelCall implements ModelCallState {
  private attempts = 0;
  private ended = false;
  private onEnd: (() => void) | undefined;

  constructor(readonly span: Span) {}

  get hasEnded(): boolean {
    return this.ended;
  }

  /** Runs `listener` once the span has ended (one listener; a later one replaces it). */
  whenEnded(listener: () => void): void {
    this.onEnd = listener;
  }

  countAttempt(): void {
    this.attempts += 1;
  }

  succeed(outcome: CallOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.record(outcome);
    this.end();
  }

  fail(error: unknown, outcome: CallOutcome = {}): void {
    if (this.ended) return;
    this.ended = true;
    this.record(outcome);
    const type = errorType(error);
    this.span.setAttribute(ATTR_ERROR_TYPE, type);
    // The type only: provider error messages can quote the request.
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    this.end();
  }

  private end(): void {
    try {
      this.span.end();
    } finally {
      // Even when a span processor throws: the call has ended, and must not stay among the unfinished ones.
      this.onEnd?.();
      this.onEnd = undefined;
    }
  }

  private record(outcome: CallOutcome): void {
    const span = this.span;
    if (this.attempts > 1) span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, this.attempts - 1);
    if (outcome.responseModel !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, outcome.responseModel);
    if (outcome.responseId !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, outcome.responseId);
    if (outcome.serviceTier !== undefined) span.setAttribute(ATTR_OPENAI_RESPONSE_SERVICE_TIER, outcome.serviceTier);
    if (outcome.webSearchCalls !== undefined) span.setAttribute(ATTR_OPENAI_RESPONSE_WEB_SEARCH_CALLS, outcome.webSearchCalls);
    if (outcome.webSearchTool !== undefined) span.setAttribute(ATTR_OPENAI_REQUEST_WEB_SEARCH_TOOL, outcome.webSearchTool);
    if (outcome.fileSearchCalls !== undefined) span.setAttribute(ATTR_OPENAI_RESPONSE_FILE_SEARCH_CALLS, outcome.fileSearchCalls);
    if (outcome.finishReasons !== undefined && outcome.finishReasons.length > 0) {
      span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, outcome.finishReasons);
    }
    const usage = outcome.usage;
    if (usage === undefined) return;
    if (usage.inputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
    if (usage.outputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
    if (usage.cacheReadTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadTokens);
    if (usage.cacheCreationTokens !== undefined) {
      span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheCreationTokens);
    }
    if (usage.cacheCreation1hTokens !== undefined) {
      span.setAttribute(ATTR_ANTHROPIC_USAGE_CACHE_CREATION_1H_INPUT_TOKENS, usage.cacheCreation1hTokens);
    }
    if (usage.reasoningTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningTokens);
    if (usage.webSearchRequests !== undefined) {
      span.setAttribute(ATTR_ANTHROPIC_USAGE_SERVER_TOOL_USE_WEB_SEARCH_REQUESTS, usage.webSearchRequests);
    }
  }
}

/** Starts the span of a model call under `parent` and returns the context to run the SDK method in. */
export function startModelCall(tracer: Tracer, request: ModelRequest, parent: Context): { call: ModelCall; context: Context } {
  const attributes: Attributes = {
    [ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
    [ATTR_GEN_AI_OPERATION_NAME]: request.operation,
  };
  if (request.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = request.model;
  if (request.serviceTier !== undefined) attributes[ATTR_OPENAI_REQUEST_SERVICE_TIER] = request.serviceTier;
  if (request.webSearchTool !== undefined) attributes[ATTR_OPENAI_REQUEST_WEB_SEARCH_TOOL] = request.webSearchTool;
  if (request.server !== undefined) {
    attributes[ATTR_SERVER_ADDRESS] = request.server.address;
    attributes[ATTR_SERVER_PORT] = request.server.port;
  }
  attributionAttributes(parent, attributes);
  const name = request.model === undefined ? request.operation : `${request.operation} ${request.model}`;
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  const call = new ModelCall(span);
  return { call, context: trace.setSpan(parent, span).setValue(MODEL_CALL_KEY, call) };
}

/**
 * A low-cardinality `error.type`: the HTTP status of an API error, else a code the error or its cause carries
 * (e.g. `UND_ERR_SOCKET` for a connection cut mid-stream), else the error's class name.
 */
export function errorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '_OTHER';
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return String(status);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  const cause = (error as { cause?: unknown }).cause;
  const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof causeCode === 'string' && causeCode !== '') return causeCode;
  const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : '_OTHER';
}
