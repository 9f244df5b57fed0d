// Makes one OpenAI call per service-tier case with the real SDK (against FAKE_URL), then ends; the preload exports
// the spans on the way out. Prints { done: <calls> } when every call has returned.
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
const input = 'Classify the ticket';
const messages = [{ role: 'user', content: input }];

async function drain(stream) {
  for await (const event of stream) void event;
}

await client.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'flex' });
await drain(await client.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'priority', stream: true }));
await client.chat.completions.create({ model: 'gpt-5', messages });
await client.chat.completions.create({ model: 'gpt-5', messages, service_tier: 'auto' });
await client.responses.create({ model: 'o4-mini', input, service_tier: 'flex' });
await drain(await client.responses.create({ model: 'gpt-5.4', input, service_tier: 'flex', stream: true }));
const queued = await client.responses.create({ model: 'gpt-5.5', input, service_tier: 'priority', background: true });
while ((await client.responses.retrieve(queued.id)).status !== 'completed');
// The book has no Priority rates for gpt-5-nano: stored unpriced, not at the standard rates.
await client.chat.completions.create({ model: 'gpt-5-nano', messages, service_tier: 'priority' });
console.log(JSON.stringify({ done: 8 }));
