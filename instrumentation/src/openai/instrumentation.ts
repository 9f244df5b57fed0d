import { InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { exportedClass, ownerOf, prototypeAt } from '../genai/patching.js';
import { SdkInstrumentation } from '../genai/sdk-instrumentation.js';
import { SCOPE_PREFIX, VERSION } from '../version.js';
import { planChatCompletions, planTextCompletions } from './chat.js';
import { planEmbeddings } from './embeddings.js';
import { backgroundResponses } from './background-responses.js';
import { planResponses } from './responses.js';

export interface OpenAIInstrumentationConfig extends InstrumentationConfig {
  /**
   * Add `stream_options.include_usage` to chat and completions streams that did not ask for usage, so streamed
   * calls are counted to the token; the extra chunk is hidden from the app. Default true. Turn off for
   * OpenAI-compatible servers that reject `stream_options`.
   */
  injectStreamUsage?: boolean;
}

const CHAT = ['Chat', 'Completions'] as const;
const TEXT_COMPLETIONS = ['Completions'] as const;
const RESPONSES = ['Responses'] as const;
const BACKGROUND_RESPONSE_READERS = ['retrieve', 'cancel'] as const;
const EMBEDDINGS = ['Embeddings'] as const;

/**
 * GenAI spans for the `openai` SDK (5.x, 6.x): chat completions, responses, legacy completions and embeddings, plain
 * and streamed.
 */
export class OpenAIInstrumentation extends SdkInstrumentation<OpenAIInstrumentationConfig> {
  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(`${SCOPE_PREFIX}/openai`, VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      'openai',
      ['>=5.0.0 <7'],
      (moduleExports: unknown) => {
        this.patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: unknown) => this.unpatch(moduleExports),
    );
  }

  private patch(moduleExports: unknown): void {
    const OpenAI = exportedClass(moduleExports, 'OpenAI');
    if (OpenAI === undefined) {
      this._diag.warn('openai loaded without an OpenAI class; not instrumented');
      return;
    }
    const injectStreamUsage = this.getConfig().injectStreamUsage ?? true;
    this.patchModelMethod(prototypeAt(OpenAI, CHAT), 'create', planChatCompletions({ injectStreamUsage }));
    this.patchModelMethod(prototypeAt(OpenAI, RESPONSES), 'create', planResponses);
    // A background response is billed once it finishes: the app sees that by polling or cancelling it.
    for (const method of BACKGROUND_RESPONSE_READERS) {
      this.patchResultFollower(prototypeAt(OpenAI, RESPONSES), method, backgroundResponses);
    }
    this.patchModelMethod(prototypeAt(OpenAI, TEXT_COMPLETIONS), 'create', planTextCompletions({ injectStreamUsage }));
    this.patchModelMethod(prototypeAt(OpenAI, EMBEDDINGS), 'create', planEmbeddings);
    this.patchAttempts(ownerOf(prototypeAt(OpenAI, []), 'fetchWithTimeout'));
  }

  private unpatch(moduleExports: unknown): void {
    const OpenAI = exportedClass(moduleExports, 'OpenAI');
    if (OpenAI === undefined) return;
    for (const path of [CHAT, RESPONSES, TEXT_COMPLETIONS, EMBEDDINGS]) this.unpatchMethod(prototypeAt(OpenAI, path), 'create');
    for (const method of BACKGROUND_RESPONSE_READERS) this.unpatchMethod(prototypeAt(OpenAI, RESPONSES), method);
    this.unpatchMethod(ownerOf(prototypeAt(OpenAI, []), 'fetchWithTimeout'), 'fetchWithTimeout');
  }
}
