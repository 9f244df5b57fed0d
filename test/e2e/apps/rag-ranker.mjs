// Service B of a two-service RAG action: a shared platform service (its own resource says
// chargeback.team=platform) that reranks passages with one model and answers with another, for whichever
// team's request reached it. Prints {"port": N} once listening; ends after one request.
import { createServer } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const openai = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1` });
const anthropic = new Anthropic({ apiKey: 'test-key', baseURL: process.env.FAKE_URL });

const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { query } = JSON.parse(body);
  const ranking = await openai.chat.completions.create({
    model: 'gpt-4.1-mini',
    messages: [
      { role: 'system', content: 'Order the passages by relevance to the question; answer with their numbers.' },
      { role: 'user', content: `Question: ${query}\n[1] Budgets reset monthly.\n[2] Alerts go to webhooks.` },
    ],
  });
  const answer = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: `Answer from passages ${ranking.choices[0].message.content}: ${query}` }],
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ranking: ranking.choices[0].message.content, answer: answer.content[0].text }));
  server.close();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
