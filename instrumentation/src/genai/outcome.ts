import type { ModelCall } from './model-call.js';

/** Token usage in the semantic-convention meaning: input INCLUDES cache tokens, output INCLUDES reasoning tokens. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  /** The part of `cacheCreationTokens` with a 1-hour lifetime (Anthropic: billed at twice the input rate). */
  cacheCreation1hTokens?: number | undefined;
  reasoningTokens?: number;
  /** Web searches the provider counted in its usage (Anthropic `server_tool_use.web_search_requests`). */
  webSearchRequests?: number | undefined;
}

/** What a model call returned, as far as it was received. */
export interface CallOutcome {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: Usage;
  /** The service tier that served the call (OpenAI `default`, `flex`, `priority`): it sets the price. */
  serviceTier?: string | undefined;
  /** Web searches among the response's output items (OpenAI Responses API `web_search_call`). */
  webSearchCalls?: number | undefined;
  /** The web search tool the response says the request had (OpenAI `web_search`, `web_search_preview`). */
  webSearchTool?: string | undefined;
  /** File search calls among the response's output items (OpenAI Responses API `file_search_call`). */
  fileSearchCalls?: number | undefined;
}

/** Sees the items of a streamed response as the app reads them. */
export interface StreamObserver {
  /** Records `item`; returns false to hide it from the app (an item the instrumentation itself asked for). */
  onItem(item: unknown): boolean;
  /** What was received so far. */
  outcome(): CallOutcome;
  /**
   * Called when the stream stops before its end (the app leaves it, the connection drops): takes over ending
   * `call` when the work goes on without the stream (a background response), else false.
   */
  continuesAfter?(call: ModelCall): boolean;
}
