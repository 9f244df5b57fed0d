import type { DecodedSpan } from '../otlp/types.js';
import { StatusCode } from '../otlp/types.js';
import { normalizeProvider } from './provider.js';
import { readCount, readNumber, readString } from './read-attribute.js';
import { readServiceTier } from './service-tier.js';
import { readToolCalls } from './tool-calls.js';
import { readUsage, type Usage } from './usage.js';

/** A span recognised as one model call, in provider/usage terms; attribution and price come later. */
export interface GenAiCall {
  span: DecodedSpan;
  provider: string | null;
  operation: string | null;
  requestModel: string | null;
  responseModel: string | null;
  responseId: string | null;
  usage: Usage | null;
  /** A cost the instrumentation computed itself (OpenLIT `gen_ai.usage.cost`), kept for comparison. */
  reportedCostUsd: number | null;
  /** The service tier that served the call as the span names it (OpenAI `flex`, `priority`, `default`), or null. */
  serviceTier: string | null;
  /** Calls of provider-hosted tools billed per call (web and file search), by tool type; empty when none. */
  toolCalls: ReadonlyMap<string, number>;
  status: 'ok' | 'error';
  errorType: string | null;
  attempts: number | null;
}

/** Operations that are not model calls (an agent or tool span may sum its children's usage). */
const nonCallOperations = new Set(['invoke_agent', 'create_agent', 'execute_tool', 'invoke_workflow']);

/**
 * The Vercel AI SDK wraps each call in an outer span (`ai.generateText`) that repeats the inner call's usage;
 * only the inner `…doGenerate` / `…doStream` / `…doEmbed` span is the call.
 */
const vercelCallOperation = /\.do(Generate|Stream|Embed)$/;

export function toGenAiCall(span: DecodedSpan): GenAiCall | null {
  const a = span.attributes;
  const rawProvider = readString(a, 'gen_ai.provider.name', 'gen_ai.system', 'ai.model.provider', 'llm.vendor');
  const provider = normalizeProvider(rawProvider);
  const requestModel = readString(a, 'gen_ai.request.model', 'llm.request.model', 'ai.model.id');
  const responseModel = readString(a, 'gen_ai.response.model', 'llm.response.model', 'ai.response.model');
  // A GenAI call names a provider or a model, and either says what it did or reports usage. Most spans name
  // neither: they leave here, first, before any other key is looked up.
  if (provider === null && requestModel === null && responseModel === null) return null;

  const vercelOperation = readString(a, 'ai.operationId');
  if (vercelOperation !== null && !vercelCallOperation.test(vercelOperation)) return null;

  const operation = readString(a, 'gen_ai.operation.name', 'llm.request.type');
  if (operation !== null && nonCallOperations.has(operation)) return null;

  const usage = readUsage(a, span.scopeName, provider);
  const looksLikeCall = operation !== null || usage !== null || (provider !== null && requestModel !== null);
  if (!looksLikeCall) return null;
  const reportedCostUsd = readNumber(a, 'gen_ai.usage.cost');

  const errorType = readString(a, 'error.type');
  return {
    span,
    provider,
    operation: operation ?? (vercelOperation === null ? null : vercelOperationName(vercelOperation)),
    requestModel,
    responseModel,
    responseId: readString(a, 'gen_ai.response.id', 'ai.response.id'),
    usage,
    reportedCostUsd,
    serviceTier: readServiceTier(a),
    toolCalls: readToolCalls(a),
    status: span.statusCode === StatusCode.ERROR || errorType !== null ? 'error' : 'ok',
    errorType: errorType ?? (span.statusCode === StatusCode.ERROR ? '_OTHER' : null),
    attempts: readAttempts(span),
  };
}

function vercelOperationName(operationId: string): string {
  return operationId.endsWith('.doEmbed') ? 'embeddings' : 'chat';
}

/** HTTP attempts the SDK made for this call (its own retries on 429/5xx). */
function readAttempts(span: DecodedSpan): number | null {
  const attempts = readCount(span.attributes, 'chargeback.attempts', 'gen_ai.request.attempts');
  if (attempts !== null) return attempts;
  const resends = readCount(span.attributes, 'http.request.resend_count');
  return resends === null ? null : resends + 1;
}
