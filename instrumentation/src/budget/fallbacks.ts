import { diag } from '@opentelemetry/api';
import type { Attribution } from '../attribution/keys.js';
import type { BudgetGateError } from './errors.js';

/** A refused call, as a fallback handler sees it. */
export interface BudgetRejection {
  error: BudgetGateError;
  attribution: Attribution;
  provider: string | undefined;
  operation: string | undefined;
  model: string | undefined;
}

/** What to do instead of failing: call a (cheaper) model, or answer with this value (e.g. a cached response). */
export type BudgetFallback = { model: string } | { response: unknown };

/** Runs on the call path, so it must be synchronous and quick; return nothing to let the error through. */
export type BudgetFallbackHandler = (rejection: BudgetRejection) => BudgetFallback | undefined | void;

/** Handlers in registration order; the first one that returns a fallback decides. */
export class FallbackRegistry {
  private readonly handlers: BudgetFallbackHandler[] = [];

  add(handler: BudgetFallbackHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const index = this.handlers.indexOf(handler);
      if (index !== -1) this.handlers.splice(index, 1);
    };
  }

  resolve(rejection: BudgetRejection): BudgetFallback | undefined {
    for (const handler of this.handlers) {
      try {
        const fallback = handler(rejection);
        if (isFallback(fallback)) return fallback;
      } catch (error) {
        // A broken handler must not turn a clear budget error into an unrelated one.
        diag.error('@genai-chargeback/instrumentation: a budget fallback handler threw; the call is refused', error);
      }
    }
    return undefined;
  }
}

function isFallback(value: unknown): value is BudgetFallback {
  if (typeof value !== 'object' || value === null) return false;
  if ('response' in value) return true;
  return 'model' in value && typeof value.model === 'string' && value.model !== '';
}
