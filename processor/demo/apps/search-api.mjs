// Search API (team search): each request is one RAG action over two services. This service embeds the query,
// then asks the retriever service (over HTTP: the attribution travels as baggage) to rerank and answer.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const openai = new OpenAI();
const retriever = process.env.RETRIEVER_URL;

const server = createServer((req, res) => {
  const customer = new URL(req.url ?? '/', 'http://localhost').searchParams.get('tenant') ?? 'acme';
  withAttribution({ team: 'search', project: 'web-search', feature: 'answers', action: 'search.answer', customer }, async () => {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'how do I reset my password' });
    const answer = await fetch(`${retriever}/answer`, { method: 'POST', body: 'how do I reset my password' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(await answer.text());
  }).catch((error) => {
    res.writeHead(500).end(String(error));
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close());
