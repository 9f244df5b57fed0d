// An app that fires a call it never awaits, which fails: Node reports the rejection as unhandled, and by default
// the process exits on it. The instrumentation must not change that.
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
void client.chat.completions.create({ model: 'gpt-4.1-mini-fail-500', messages: [{ role: 'user', content: 'fire and forget' }] });
setTimeout(() => console.log(JSON.stringify({ survived: true })), 1500);
