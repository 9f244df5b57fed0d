/**
 * Provider names as the GenAI semconv spells them (`gen_ai.provider.name`). Older `gen_ai.system` values and
 * the Vercel AI SDK's `openai.chat` / `anthropic.messages` style map onto them, so one model has one price.
 */
const providerAliases: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'gcp.gemini': 'gcp.gemini',
  gemini: 'gcp.gemini',
  google: 'gcp.gemini',
  'google.generative-ai': 'gcp.gemini',
  'gcp.vertex_ai': 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  'google.vertex': 'gcp.vertex_ai',
  'gcp.gen_ai': 'gcp.gen_ai',
  mistral_ai: 'mistral_ai',
  mistral: 'mistral_ai',
  'aws.bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  'amazon-bedrock': 'aws.bedrock',
  'azure.ai.openai': 'azure.ai.openai',
  'azure.ai.inference': 'azure.ai.inference',
  'az.ai.inference': 'azure.ai.inference',
  azure: 'azure.ai.openai',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  perplexity: 'perplexity',
  'x_ai': 'x_ai',
  xai: 'x_ai',
  'ibm.watsonx.ai': 'ibm.watsonx.ai',
};

export function normalizeProvider(raw: string | null): string | null {
  if (raw === null) return null;
  const name = raw.trim().toLowerCase();
  if (name === '') return null;
  const exact = providerAliases[name];
  if (exact) return exact;
  // `openai.chat`, `openai.responses`, `anthropic.messages`, `mistral.chat`: the part before the first dot.
  const head = name.split('.')[0] ?? name;
  return providerAliases[head] ?? name;
}
