/**
 * Attribute names this package writes. GenAI names follow the OpenTelemetry GenAI semantic conventions
 * (status Development, so they are spelled out here rather than imported from a package that may rename them).
 */

export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Includes cache-read and cache-creation tokens. */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
/** Includes reasoning tokens. */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';

/** The OpenAI service tier asked for (`auto`, `default`, `flex`, `priority`) and the one that served the call. */
export const ATTR_OPENAI_REQUEST_SERVICE_TIER = 'openai.request.service_tier';
export const ATTR_OPENAI_RESPONSE_SERVICE_TIER = 'openai.response.service_tier';

/**
 * Anthropic's 1-hour cache writes, part of `gen_ai.usage.cache_creation.input_tokens` and billed at their own rate.
 * No semantic convention names them yet; the name is Anthropic's field under the provider's namespace.
 */
export const ATTR_ANTHROPIC_USAGE_CACHE_CREATION_1H_INPUT_TOKENS = 'anthropic.usage.cache_creation.ephemeral_1h_input_tokens';

/**
 * Web searches, billed per search beside the tokens. No semantic convention counts hosted-tool calls yet; the names
 * are each provider's own: Anthropic's `usage.server_tool_use.web_search_requests`, OpenAI's count of the Responses
 * API's `web_search_call` output items and the web search tool the request declared (`web_search`,
 * `web_search_preview`: billed differently on some models).
 */
export const ATTR_ANTHROPIC_USAGE_SERVER_TOOL_USE_WEB_SEARCH_REQUESTS = 'anthropic.usage.server_tool_use.web_search_requests';
export const ATTR_OPENAI_RESPONSE_WEB_SEARCH_CALLS = 'openai.response.web_search_calls';
export const ATTR_OPENAI_REQUEST_WEB_SEARCH_TOOL = 'openai.request.web_search_tool';
/** File search calls (the Responses API's `file_search_call` output items), billed per call like web searches. */
export const ATTR_OPENAI_RESPONSE_FILE_SEARCH_CALLS = 'openai.response.file_search_calls';

export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
/** Resends after the first HTTP attempt (the SDK's own retries): attempts = 1 + this. Absent when there was none. */
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';

export type GenAIOperation = 'chat' | 'text_completion' | 'embeddings';

/** Providers named as `gen_ai.provider.name` values. */
export type GenAIProvider = 'openai' | 'azure.ai.openai' | 'anthropic' | 'aws.bedrock' | 'gcp.vertex_ai' | (string & {});
