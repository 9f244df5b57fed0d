// Retriever (a shared platform service, no team of its own): reranks passages and writes the answer, searching the
// web for what the passages lack (the search is billed per call beside the tokens). Its calls are charged to
// whoever's request caused them, from the baggage the caller sent.
import { createServer } from 'node:http';
import OpenAI from 'openai';

const openai = new OpenAI();

const server = createServer(async (req, res) => {
  for await (const chunk of req) void chunk;
  const ranked = await openai.chat.completions.create({
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Rank these passages for: how do I reset my password' }],
  });
  const stream = await openai.responses.create({
    model: 'gpt-4.1',
    stream: true,
    tools: [{ type: 'web_search' }],
    input: `Answer from: ${ranked.choices[0]?.message.content ?? ''}`,
  });
  let answer = '';
  for await (const event of stream) if (event.type === 'response.output_text.delta') answer += event.delta;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ answer }));
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close());
