// Service B: an HTTP service that calls a model for each request. It prints {"port": N} once listening, answers
// with the baggage header it received and the attribution it sees, and exits after REQUESTS requests.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { getAttribution } from '@genai-chargeback/instrumentation';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1` });
let remaining = Number(process.env.REQUESTS ?? '1');

const server = createServer(async (req, res) => {
  for await (const _ of req);
  const completion = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `asked via ${req.url}` }] });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ receivedBaggage: req.headers.baggage ?? null, attribution: getAttribution(), reply: completion.choices[0].message.content }));
  if (--remaining === 0) server.close();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
