import { InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { parseAdoptingHandedOver } from '../genai/handed-over-responses.js';
import { exportedClass, namedExport, ownerOf, prototypeAt } from '../genai/patching.js';
import { record } from '../genai/read.js';
import { SdkInstrumentation } from '../genai/sdk-instrumentation.js';
import { SCOPE_PREFIX, VERSION } from '../version.js';
import { planMessages } from './messages.js';

export interface AnthropicInstrumentationConfig extends InstrumentationConfig {
  /**
   * `@anthropic-ai/sdk` ≥ 0.134 emits its own span for each call when a tracer provider is registered; under
   * this instrumentation's span one call would then be reported twice. Default true: sets
   * `ANTHROPIC_OPEN_TELEMETRY=false` unless the app set that variable itself (clients read it when constructed).
   */
  suppressSdkSpans?: boolean;
}

const MESSAGES = ['Messages'] as const;
/** `beta.messages`: the same request and response, plus beta features (e.g. the 1M-token context window). */
const BETA_MESSAGES = ['Beta', 'Messages'] as const;

/**
 * GenAI spans for `@anthropic-ai/sdk`: `messages.create` (plain and streamed) and `messages.stream`, and the same
 * in `beta.messages`.
 */
export class AnthropicInstrumentation extends SdkInstrumentation<AnthropicInstrumentationConfig> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(`${SCOPE_PREFIX}/anthropic`, VERSION, config);
    if ((config.suppressSdkSpans ?? true) && process.env['ANTHROPIC_OPEN_TELEMETRY'] === undefined) {
      process.env['ANTHROPIC_OPEN_TELEMETRY'] = 'false';
    }
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      ['>=0.50.0 <2'],
      (moduleExports: unknown) => {
        this.patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: unknown) => this.unpatch(moduleExports),
    );
  }

  private patch(moduleExports: unknown): void {
    const Anthropic = exportedClass(moduleExports, 'Anthropic');
    if (Anthropic === undefined) {
      this._diag.warn('@anthropic-ai/sdk loaded without an Anthropic class; not instrumented');
      return;
    }
    for (const path of [MESSAGES, BETA_MESSAGES]) this.patchModelMethod(prototypeAt(Anthropic, path), 'create', planMessages);
    this.patchAttempts(ownerOf(prototypeAt(Anthropic, []), 'fetchWithTimeout'));
    this.patchHandOvers(moduleExports);
  }

  /** A message thread parses each streamed turn through an `APIPromise` of its own (see handed-over-responses.ts). */
  private patchHandOvers(moduleExports: unknown): void {
    const apiPromise = apiPromisePrototype(moduleExports);
    if (apiPromise === undefined) {
      this._diag.warn('cannot follow message-thread streams: APIPromise not exported by this SDK version');
      return;
    }
    this._wrap(apiPromise, 'parse', (original) => parseAdoptingHandedOver(original as (this: unknown, ...args: unknown[]) => unknown));
  }

  private unpatch(moduleExports: unknown): void {
    const Anthropic = exportedClass(moduleExports, 'Anthropic');
    if (Anthropic === undefined) return;
    for (const path of [MESSAGES, BETA_MESSAGES]) this.unpatchMethod(prototypeAt(Anthropic, path), 'create');
    this.unpatchMethod(ownerOf(prototypeAt(Anthropic, []), 'fetchWithTimeout'), 'fetchWithTimeout');
    this.unpatchMethod(apiPromisePrototype(moduleExports), 'parse');
  }
}

function apiPromisePrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const apiPromise = namedExport(moduleExports, 'APIPromise');
  const prototype = typeof apiPromise === 'function' ? record((apiPromise as { prototype?: unknown }).prototype) : undefined;
  return typeof prototype?.['parse'] === 'function' ? prototype : undefined;
}
