import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { activeModelCall } from './call-context.js';
import { followResults, type ResultFollower } from './observe.js';
import { countAttempts, traceModelCalls, type Planner } from './traced-call.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Shared patching of a Stainless-generated SDK (openai, @anthropic-ai/sdk): model methods and the per-attempt fetch. */
export abstract class SdkInstrumentation<Config extends InstrumentationConfig> extends InstrumentationBase<Config> {
  private readonly currentTracer = () => this.tracer;

  /** Makes every call of `prototype[method]` a GenAI span planned by `planner`. */
  protected patchModelMethod(prototype: Record<string, unknown> | undefined, method: string, planner: Planner): void {
    if (prototype === undefined || typeof prototype[method] !== 'function') {
      this._diag.warn(`cannot instrument ${method}: not found in this SDK version`);
      return;
    }
    this._wrap(prototype, method, (original) => traceModelCalls(this.currentTracer, planner, original as Method));
  }

  /** Counts the HTTP attempts (the SDK's own retries included) of the model call in progress. */
  protected patchAttempts(clientPrototype: Record<string, unknown> | undefined): void {
    if (clientPrototype === undefined || typeof clientPrototype['fetchWithTimeout'] !== 'function') {
      this._diag.warn('cannot count HTTP attempts: fetchWithTimeout not found in this SDK version');
      return;
    }
    this._wrap(clientPrototype, 'fetchWithTimeout', (original) => countAttempts(original as Method, () => activeModelCall()));
  }

  /** Lets `follower` see the results of `prototype[method]`, which is no model call itself (see followResults). */
  protected patchResultFollower(prototype: Record<string, unknown> | undefined, method: string, follower: ResultFollower): void {
    if (prototype === undefined || typeof prototype[method] !== 'function') {
      this._diag.warn(`cannot follow ${method}: not found in this SDK version`);
      return;
    }
    this._wrap(prototype, method, (original) => followResults(original as Method, follower));
  }

  protected unpatchMethod(prototype: Record<string, unknown> | undefined, method: string): void {
    if (prototype !== undefined) this._unwrap(prototype, method);
  }
}
