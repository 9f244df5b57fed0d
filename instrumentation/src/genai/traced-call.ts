import { context, diag, type Context, type Tracer } from '@opentelemetry/api';
import { startModelCall, type ModelCall, type ModelRequest } from './model-call.js';
import { observeResult, type ResultReader } from './observe.js';

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
 * request leaves, which is where a pre-call check (the budget gate) belongs: between planning and starting the
 * span, with the plan's request and the active attribution, able to reject the call or rewrite `plan.args`.
 * Instrumentation failures never reach the app: the method then runs as if uninstrumented.
 */
export function traceModelCalls(tracer: () => Tracer, planner: Planner, original: Method): Method {
  return function tracedModelCall(this: unknown, ...args: unknown[]): unknown {
    let plan: CallPlan | undefined;
    let call: ModelCall | undefined;
    let callContext: Context | undefined;
    try {
      plan = planner(this, args);
      if (plan !== undefined) ({ call, context: callContext } = startModelCall(tracer(), plan.request, context.active()));
    } catch (error) {
      diag.error('@genai-chargeback/instrumentation: could not start a model call span', error);
    }
    if (plan === undefined || call === undefined || callContext === undefined) return original.apply(this, args);

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

/** Counts an HTTP attempt of the model call in progress (wraps the SDK client's per-attempt fetch). */
export function countAttempts(original: Method, activeCall: () => { countAttempt(): void } | undefined): Method {
  return function countedAttempt(this: unknown, ...args: unknown[]): unknown {
    activeCall()?.countAttempt();
    return original.apply(this, args);
  };
}
