// The app measured by bench/instrumentation.ts: sequential OpenAI chat calls, plain and streamed, timed on the
// calling thread. Two transports: `network` calls the fake provider over HTTP for every call; `replay` gets each
// distinct response from the fake provider once, then replays its bytes through the SDK's `fetch` option, so the
// timing holds the SDK and the instrumentation only, without the network and provider jitter.
// Prints one JSON line: per-call latencies (ms) and CPU µs per call, by transport and kind.
const { performance } = require('node:perf_hooks');
const OpenAI = require('openai');

const calls = { network: Number(process.env.CALLS ?? '1500'), replay: Number(process.env.REPLAY_CALLS ?? '5000') };
const warmup = Number(process.env.WARMUP ?? '300');
const baseURL = `${process.env.FAKE_URL}/v1`;
const messages = [{ role: 'user', content: 'Summarise the quarterly spend of the search team in one line.' }];

const recorded = new Map();
async function replay(url, init) {
  let response = recorded.get(init.body);
  if (response === undefined) {
    const live = await fetch(url, init);
    response = { status: live.status, headers: [...live.headers], body: Buffer.from(await live.arrayBuffer()) };
    recorded.set(init.body, response);
  }
  return new Response(response.body, { status: response.status, headers: response.headers });
}

const clients = {
  network: new OpenAI({ apiKey: 'bench-key', baseURL, maxRetries: 0 }),
  replay: new OpenAI({ apiKey: 'bench-key', baseURL, maxRetries: 0, fetch: replay }),
};

const kinds = {
  plain: (client) => client.chat.completions.create({ model: 'gpt-4.1-mini', messages }),
  stream: async (client) => {
    for await (const chunk of await client.chat.completions.create({ model: 'gpt-4.1-mini', messages, stream: true })) void chunk;
  },
};

async function measure(call, client, count) {
  for (let i = 0; i < warmup; i++) await call(client);
  const latenciesMs = new Array(count);
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call(client);
    latenciesMs[i] = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { latenciesMs, cpuUsPerCall: (cpu.user + cpu.system) / count };
}

async function main() {
  const result = {};
  for (const transport of Object.keys(clients)) {
    result[transport] = {};
    for (const [kind, call] of Object.entries(kinds)) result[transport][kind] = await measure(call, clients[transport], calls[transport]);
  }
  console.log(JSON.stringify(result));
}

main();
