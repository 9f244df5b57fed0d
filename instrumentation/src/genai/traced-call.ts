import { context, diag, type Context, type Tracer } from '@opentelemetry/api';
import { getAttribution } from '../attribution/scope.js';
import { checkBudget, type BudgetDecision } from '../budget/gate.js';
import { asProviderRequest } from './call-context.js';
import { startModelCall, type ModelCall, type ModelRequest } from './model-call.js';
import { observeResult, type ResultReader } from './observe.js';
import { trackInFlight } from './unfinished-calls.js';

/** What an instrumentation decided about one SDK method call before it runs. */
export interface CallPlan extends ResultReader {
  request: ModelRequest;
  /** The arguments to pass on: the app's, or a copy with parameters the instrumentation needs (never mutated in place). */
  args: unknown[];
}

export type Planner = (thisArg: unknown, args: unknown[]) => CallPlan | undefined;

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps an SDK method so each call is one GenAI CLIENT span. Everything here runs synchronously before the
 * request leaves. The budget gate is checked between planning and starting the span, from cached status only
 * (no I/O): a refused call never reaches the provider and has no span; a fallback model rewrites the call.
 * Instrumentation failures never reach the app: the method then runs as if uninstrumented. A budget refusal
 * does reach it — that is the gate's purpose — as the promise the SDK method would have returned.
 */
export function traceModelCalls(tracer: () => Tracer, planner: Planner, original: Method): Method {
  return function tracedModelCall(this: unknown, ...args: unknown[]): unknown {
    let plan: CallPlan | undefined;
    let call: ModelCall | undefined;
    let callContext: Context | undefined;
    try {
      plan = planner(this, args);
    } catch (error) {
      diag.error('@genai-chargeback/instrumentation: could not plan a model call', error);
    }
    if (plan !== undefined) {
      const decision = budgetDecision(plan);
      if (decision.action === 'reject') return Promise.reject(decision.error);
      if (decision.action === 'respond') return Promise.resolve(decision.response);
      if (decision.action === 'use-model') plan = withModel(plan, decision.model);
    }
    try {
      if (plan !== undefined) ({ call, context: callContext } = startModelCall(tracer(), plan.request, context.active()));
    } catch (error) {
      diag.error('@genai-chargeback/instrumentation: could not start a model call span', error);
    }
    if (plan === undefined || call === undefined || callContext === undefined) return original.apply(this, args);

    trackInFlight(call);
    const sent = plan.args;
    let result: unknown;
    try {
      result = context.with(callContext, () => original.apply(this, sent));
    } catch (error) {
      call.fail(error);
      throw error;
    }
    try {
      observeResult(result, call, plan);
    } catch (error) {
      diag.error('@genai-chargeback/instrumentation: could not observe a model call result', error);
      call.succeed({});
    }
    return result;
  };
}

function budgetDecision(plan: CallPlan): BudgetDecision {
  try {
    return checkBudget(getAttribution, plan.request);
  } catch (error) {
    diag.error('@genai-chargeback/instrumentation: the budget check failed; the call proceeds', error);
    return { action: 'proceed' };
  }
}

/** The same call to a fallback model: the span and the request both name the model actually called. */
function withModel(plan: CallPlan, model: string): CallPlan {
  const [params, ...rest] = plan.args;
  const rewritten = typeof params === 'object' && params !== null ? { ...params, model } : params;
  return { ...plan, request: { ...plan.request, model }, args: [rewritten, ...rest] };
}

/**
 * Wraps the SDK client's per-attempt fetch: counts the attempt for the model call in progress, and marks the
 * request as one to the provider, whatever SDK method sent it, so no attribution baggage goes with it.
 */
export function countAttempts(original: Method, activeCall: () => { countAttempt(): void } | undefined): Method {
  return function countedAttempt(this: unknown, ...args: unknown[]): unknown {
    const call = activeCall();
    if (call === undefined) return context.with(asProviderRequest(context.active()), () => original.apply(this, args));
    // A model call's context marks its requests already.
    call.countAttempt();
    return original.apply(this, args);
  };
}
