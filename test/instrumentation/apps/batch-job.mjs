// A batch job: three model calls, then, by MODE: `exit` ends on its own; `wait` prints "ready" and idles until a
// signal (no handler of its own); `handler` prints "ready" and stops its work on SIGTERM with its own handler.
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
await withAttribution({ team: 'batch', feature: 'nightly' }, async () => {
  for (let i = 1; i <= 3; i++) {
    const completion = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: `item ${i}` }] });
    console.log(JSON.stringify({ call: i, tokens: completion.usage.total_tokens }));
  }
});
const mode = process.env.MODE ?? 'exit';
if (mode !== 'exit') {
  const idle = setInterval(() => {}, 1000);
  if (mode === 'handler') process.on('SIGTERM', () => clearInterval(idle));
  console.log('ready');
}
