// A CommonJS app using the real `@anthropic-ai/sdk` client against the fake provider (FAKE_URL); same output
// convention as openai-app.mjs (one JSON line per scenario, each in withAttribution({ feature: <scenario> })).
const Anthropic = require('@anthropic-ai/sdk');
const { withAttribution } = require('@genai-chargeback/instrumentation');

const client = new Anthropic({ apiKey: 'test-key', baseURL: process.env.FAKE_URL });
const request = { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user', content: 'Which customer costs us the most?' }] };

async function collect(stream, limit = Infinity) {
  const events = [];
  for await (const event of stream) {
    events.push(event);
    if (events.length >= limit) break;
  }
  return events;
}

const scenarios = {
  'messages': () => client.messages.create(request),
  'messages-stream': async () => collect(await client.messages.create({ ...request, stream: true })),
  'messages-stream-helper': async () => {
    const stream = client.messages.stream(request);
    const texts = [];
    stream.on('text', (text) => texts.push(text));
    return { final: await stream.finalMessage(), texts };
  },
  'retry-429': () => client.messages.create({ ...request, model: 'claude-haiku-4-5-fail-429-once' }),
  'cut-stream': async () => {
    const events = [];
    try {
      for await (const event of await client.messages.create({ ...request, model: 'claude-haiku-4-5-cut-stream', stream: true })) events.push(event);
      return { events, error: null };
    } catch (error) {
      return { events, error: error.constructor.name };
    }
  },
  'abandon-stream': async () => collect(await client.messages.create({ ...request, stream: true }), 3),
  // The beta namespace: how apps reach features still in beta, e.g. the 1M-token context window.
  'beta-messages': () => client.beta.messages.create({ ...request, betas: ['context-1m-2025-08-07'] }),
  'beta-messages-stream-helper': async () => {
    const stream = client.beta.messages.stream({ ...request, betas: ['context-1m-2025-08-07'] });
    return { final: await stream.finalMessage() };
  },
  // Message threads: the server holds the conversation, each turn sends only the new messages.
  'thread-send': async () => {
    const thread = client.beta.messages.thread({ model: request.model, max_tokens: request.max_tokens });
    return { reply: await thread.send(request.messages[0]) };
  },
  // Two streamed turns: the second continues the thread the first created.
  'thread-stream': async () => {
    const thread = client.beta.messages.thread({ model: request.model, max_tokens: request.max_tokens });
    const first = await thread.stream(request.messages[0]).finalMessage();
    const second = await thread.stream({ role: 'user', content: 'And the least?' }).finalMessage();
    return { first, second };
  },
  // On a client with message threads the tool runner runs over one; streamed, each turn is a thread stream.
  'tool-runner': async () => {
    const turns = [];
    for await (const message of client.beta.messages.toolRunner({ ...request, tools: [] })) turns.push(message);
    return { turns };
  },
  'tool-runner-stream': async () => {
    const runner = client.beta.messages.toolRunner({ ...request, stream: true, tools: [] });
    const turns = [];
    for await (const stream of runner) turns.push(await stream.finalMessage());
    return { turns };
  },
};

async function main() {
  const names = process.env.SCENARIOS ? process.env.SCENARIOS.split(',') : Object.keys(scenarios);
  for (const name of names) {
    let line;
    try {
      line = { scenario: name, result: await withAttribution({ team: 'search', project: 'assistant', feature: name }, scenarios[name]) };
    } catch (error) {
      line = { scenario: name, error: { type: error.constructor.name, status: error.status ?? null, message: error.message } };
    }
    console.log(JSON.stringify(line));
  }
}

main();
