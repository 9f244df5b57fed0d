// A batch job: three model calls, then, by MODE: `exit` ends on its own; `wait` prints "ready" and idles until a
// signal (no handler of its own); `handler` prints "ready" and stops its work on SIGTERM with its own handler;
// `throw` ends by an uncaught exception, `reject` by an unhandled rejection, `exit-now` by `process.exit(3)`.
// With UNREAD_STREAMS=1 it also leaves two streamed calls unfinished, still referenced: one never read, one read
// for a single chunk (with FINISH_ON_EXIT=1, read to its end in the app's own beforeExit listener). With
// IN_FLIGHT=1 it starts a fourth call the provider never answers before "ready".
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
await withAttribution({ team: 'batch', feature: 'nightly' }, async () => {
  for (let i = 1; i <= 3; i++) {
    const completion = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: `item ${i}` }] });
    console.log(JSON.stringify({ call: i, tokens: completion.usage.total_tokens }));
  }
  if (process.env.UNREAD_STREAMS === '1') {
    const request = { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'summary' }], stream: true };
    const unread = await client.chat.completions.create(request);
    const begun = (await client.chat.completions.create(request))[Symbol.asyncIterator]();
    const first = await begun.next();
    globalThis.unfinished = [unread, begun];
    console.log(JSON.stringify({ firstChunkModel: first.value.model }));
    // An app whose own beforeExit listener finishes reading one of them: that call keeps its usage.
    if (process.env.FINISH_ON_EXIT === '1') {
      process.once('beforeExit', async () => {
        let chunks = 1;
        for (let step = await begun.next(); !step.done; step = await begun.next()) chunks++;
        console.log(JSON.stringify({ chunksReadOnExit: chunks }));
      });
    }
  }
  if (process.env.IN_FLIGHT === '1') {
    const waiting = client.chat.completions.create({ model: 'gpt-4.1-nano-no-response', messages: [{ role: 'user', content: 'long job' }] });
    waiting.catch(() => {});
  }
});
const mode = process.env.MODE ?? 'exit';
if (mode === 'throw') {
  setImmediate(() => {
    throw new Error('the batch job failed');
  });
} else if (mode === 'reject') {
  Promise.reject(new Error('the batch job failed'));
} else if (mode === 'exit-now') {
  process.exit(3);
} else if (mode !== 'exit') {
  const idle = setInterval(() => {}, 1000);
  if (mode === 'handler') process.on('SIGTERM', () => clearInterval(idle));
  console.log('ready');
}
