import type { Attributes } from '../otlp/types.js';
import { readString } from './read-attribute.js';

/**
 * The tier the response says served the call, else the one requested: OpenAI may serve a Priority request on the
 * default tier. A request for `auto` (the project's default) prices as standard, like `default`.
 */
export function readServiceTier(attributes: Attributes): string | null {
  return readString(
    attributes,
    'openai.response.service_tier',
    'gen_ai.openai.response.service_tier',
    'openai.request.service_tier',
    'gen_ai.openai.request.service_tier',
  );
}
