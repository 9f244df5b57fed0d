import type { ServerAddress } from '../genai/model-call.js';
import { record } from '../genai/read.js';
import { serverOf } from '../genai/server.js';
import type { GenAIProvider } from '../semconv.js';

/** Provider and server of the client behind an OpenAI SDK resource (`this` of `chat.completions.create` etc.). */
export function describeOpenAIClient(resource: unknown): { provider: GenAIProvider; server: ServerAddress | undefined } {
  const client = record(record(resource)?.['_client']);
  // Azure's deployment of OpenAI models is billed and priced as its own provider.
  const provider = client?.constructor.name === 'AzureOpenAI' ? 'azure.ai.openai' : 'openai';
  return { provider, server: serverOf(client?.['baseURL']) };
}
