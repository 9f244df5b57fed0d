// Makes the calls whose price depends on more than the model and token counts, with the real SDKs against
// FAKE_URL, then ends; the preload exports the spans on the way out. Prints { done: <calls> } when all returned.
//   OpenAI service tiers (Flex, Priority, the default tier asked for or not), chat and Responses, plain, streamed
//   and in the background; Anthropic cache writes with a 1-hour lifetime, plain and streamed; web searches, billed per
//   search (OpenAI `web_search` and `web_search_preview` on the Responses API, Anthropic's web search tool) and OpenAI
//   file searches.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const openai = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'test-key', baseURL: process.env.FAKE_URL, maxRetries: 0 });
const input = 'Classify the ticket';
const messages = [{ role: 'user', content: input }];

async function drain(stream) {
  for await (const event of stream) void event;
}

await openai.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'flex' });
await drain(await openai.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'priority', stream: true }));
await openai.chat.completions.create({ model: 'gpt-5', messages });
await openai.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'auto' });
await openai.responses.create({ model: 'o4-mini', input, service_tier: 'flex' });
await drain(await openai.responses.create({ model: 'gpt-5.4', input, service_tier: 'flex', stream: true }));
const queued = await openai.responses.create({ model: 'gpt-5.5', input, service_tier: 'priority', background: true });
while ((await openai.responses.retrieve(queued.id)).status !== 'completed');
// The book has no Priority rates for gpt-5-nano: stored unpriced, not at the standard rates.
await openai.chat.completions.create({ model: 'gpt-5-nano', messages, service_tier: 'priority' });

const system = [{ type: 'text', text: 'The support handbook, cached for an hour', cache_control: { type: 'ephemeral', ttl: '1h' } }];
await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, system, messages });
await drain(await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, system, messages, stream: true }));

await openai.responses.create({ model: 'gpt-5', input, tools: [{ type: 'web_search' }] });
await drain(await openai.responses.create({ model: 'gpt-4.1', input, tools: [{ type: 'web_search_preview_2025_03_11' }], stream: true }));
const webSearch = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }];
await drain(await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, system, messages, tools: webSearch, stream: true }));
// The processor's --prices file gives claude-haiku-4-5 a negotiated rate without a web search fee: stored unpriced.
await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages, tools: webSearch });
await openai.responses.create({ model: 'gpt-4.1-mini', input, tools: [{ type: 'file_search', vector_store_ids: ['vs_handbook'] }] });
console.log(JSON.stringify({ done: 15 }));
