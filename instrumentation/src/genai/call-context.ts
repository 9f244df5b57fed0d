import { context, createContextKey, type Context } from '@opentelemetry/api';

/** Marks the context of a model call, from the SDK method call until its response is read. */
export const MODEL_CALL_KEY = createContextKey('@genai-chargeback/instrumentation model call');

/** What the HTTP layer needs to know about a model call in progress. */
export interface ModelCallState {
  countAttempt(): void;
}

export function activeModelCall(ctx: Context = context.active()): ModelCallState | undefined {
  return ctx.getValue(MODEL_CALL_KEY) as ModelCallState | undefined;
}

/** Marks the context of any request an SDK client sends to its provider, model call or not (`models.list`, `files`). */
const PROVIDER_REQUEST_KEY = createContextKey('@genai-chargeback/instrumentation provider request');

export function asProviderRequest(ctx: Context): Context {
  return ctx.setValue(PROVIDER_REQUEST_KEY, true);
}

export function isProviderRequest(ctx: Context = context.active()): boolean {
  return ctx.getValue(PROVIDER_REQUEST_KEY) === true || activeModelCall(ctx) !== undefined;
}
