// An ESM app using the real `openai` client against the fake provider (FAKE_URL). Each scenario runs inside
// withAttribution({ feature: <scenario> }) and prints one JSON line with what the app received, so a test can
// compare runs with and without the preload and find each scenario's span by its `chargeback.feature`.
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1` });
const messages = [{ role: 'user', content: 'How much did the search team spend last month?' }];

async function collect(stream, limit = Infinity) {
  const items = [];
  for await (const item of stream) {
    items.push(item);
    if (items.length >= limit) break;
  }
  return items;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** Full collections, with time for the finalizers they schedule to run. */
async function collectGarbage() {
  for (let round = 0; round < 5; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describeError(error) {
  return { type: error.constructor.name, status: error.status ?? null, message: error.message };
}

const scenarios = {
  'chat': () => client.chat.completions.create({ model: 'gpt-4.1', messages }),
  'chat-stream': async () => collect(await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true })),
  'chat-stream-own-usage': async () =>
    collect(await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true, stream_options: { include_usage: true } })),
  'chat-stream-helper': async () => {
    const stream = client.chat.completions.stream({ model: 'gpt-4.1', messages });
    const chunks = await collect(stream);
    return { chunks, final: await stream.finalChatCompletion() };
  },
  'responses': () => client.responses.create({ model: 'o4-mini', input: 'Summarise the invoice' }),
  'responses-stream': async () => collect(await client.responses.create({ model: 'o4-mini', input: 'Summarise the invoice', stream: true })),
  // Background mode: answered queued, billed once finished; the app polls until it is.
  'responses-background': async () => {
    let response = await client.responses.create({ model: 'o4-mini', input: 'Summarise the year', background: true });
    const statuses = [response.status];
    while (response.status === 'queued' || response.status === 'in_progress') {
      response = await client.responses.retrieve(response.id);
      statuses.push(response.status);
    }
    return { statuses, usage: response.usage };
  },
  // Streamed in the background, left after its first event, then polled to its end.
  'responses-background-stream': async () => {
    let id;
    for await (const event of await client.responses.create({ model: 'o4-mini', input: 'Draft the report', background: true, stream: true })) {
      id = event.response?.id;
      if (id !== undefined) break;
    }
    // The stream and its iterator are garbage now: collecting them must not end the call before it is polled.
    await collectGarbage();
    let response = await client.responses.retrieve(id);
    while (response.status === 'queued' || response.status === 'in_progress') response = await client.responses.retrieve(id);
    return { status: response.status };
  },
  // Streamed in the background, the connection cut midway (the SDK throws), then polled.
  'responses-background-cut': async () => {
    let id;
    try {
      const request = { model: 'o4-mini', input: 'Plan the quarter', background: true, stream: true };
      for await (const event of await client.responses.create(request, { headers: { 'x-fake-fault': 'cut-stream' } })) id ??= event.response?.id;
    } catch (error) {
      let response = await client.responses.retrieve(id);
      while (response.status === 'queued' || response.status === 'in_progress') response = await client.responses.retrieve(id);
      return { cut: error.constructor.name, status: response.status };
    }
    return { cut: null };
  },
  // Streamed in the background, the stream lost after two events, then resumed where it stopped, to its end.
  'responses-background-resume': async () => {
    const seen = [];
    for await (const event of await client.responses.create({ model: 'o4-mini', input: 'Draft the memo', background: true, stream: true })) {
      seen.push(event);
      if (seen.length === 2) break;
    }
    const last = seen.at(-1);
    const resumed = await client.responses.retrieve(last.response.id, { stream: true, starting_after: last.sequence_number });
    // Read through an explicit iterator, as some apps do: it must be async-iterable itself.
    const rest = await collect(resumed[Symbol.asyncIterator]());
    return { types: [...seen, ...rest].map((event) => event.type) };
  },
  'responses-background-cancel': async () => {
    const response = await client.responses.create({ model: 'o4-mini', input: 'Never mind', background: true });
    return { status: response.status, cancelled: (await client.responses.cancel(response.id)).status };
  },
  'text-completion': () => client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 16 }),
  'text-completion-stream': async () =>
    collect(await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 16, stream: true })),
  'embeddings': () => client.embeddings.create({ model: 'text-embedding-3-small', input: ['first document', 'second one'] }),
  'retry-429': () => client.chat.completions.create({ model: 'gpt-4.1-mini-fail-429-once', messages }),
  'error-500': () => client.chat.completions.create({ model: 'gpt-4.1-mini-fail-500', messages }),
  'cut-stream': async () => {
    const chunks = [];
    try {
      for await (const chunk of await client.chat.completions.create({ model: 'gpt-4.1-cut-stream', messages, stream: true })) chunks.push(chunk);
      return { chunks, error: null };
    } catch (error) {
      return { chunks, error: error.constructor.name };
    }
  },
  'with-response': async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4.1', messages }).withResponse();
    return { data, requestId: response.headers.get('x-request-id') };
  },
  'raw-response': async () => (await client.chat.completions.create({ model: 'gpt-4.1', messages }).asResponse()).json(),
  'abandon-stream': async () => collect(await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true }), 2),
  // An app that asks for a stream and drops it unread (its handler failed first, say): the call was made and billed.
  'unread-stream': async () => {
    await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    await collectGarbage();
    return null;
  },
  // One that reads a chunk by hand and drops the iterator without return().
  'dropped-iterator': async () => {
    const first = await (await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true }))[Symbol.asyncIterator]().next();
    await collectGarbage();
    return first.value.model;
  },
  // One that fires a call and never reads its result: the response arrives, nothing parses it.
  'dropped-promise': async () => {
    void client.chat.completions.create({ model: 'gpt-4.1', messages });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await collectGarbage();
    return null;
  },
  'timers-emitters': () =>
    new Promise((resolve, reject) => {
      const events = new EventEmitter();
      events.on('go', () => client.chat.completions.create({ model: 'gpt-4.1-nano', messages }).then(resolve, reject));
      setTimeout(() => setImmediate(() => events.emit('go')), 5);
    }),
  // No model call (the fake provider answers 404): no GenAI span, and no attribution baggage to the provider either.
  'models-list': () => client.models.list(),
  'nested': () =>
    withAttribution({ team: 'billing', customer: 'acme', userId: 'u-42', environment: 'staging', action: 'answer' }, () =>
      client.chat.completions.create({ model: 'gpt-4.1-nano', messages }),
    ),
};

const names = process.env.SCENARIOS ? process.env.SCENARIOS.split(',') : Object.keys(scenarios);
for (const name of names) {
  let line;
  try {
    line = { scenario: name, result: await withAttribution({ team: 'search', project: 'assistant', feature: name }, scenarios[name]) };
  } catch (error) {
    line = { scenario: name, error: describeError(error) };
  }
  console.log(JSON.stringify(line));
}
