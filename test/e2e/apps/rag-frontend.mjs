// Service A of a two-service RAG action: an HTTP server whose route POST /api/search runs inside the request's
// attribution (no action name: the root span's name names it), embeds the query itself and asks service B
// (RANKER_URL) to rank passages and answer. Prints {"port": N} once listening; ends after one request.
import { createServer } from 'node:http';
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const openai = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1` });
const ROUTE = '/api/search';

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== ROUTE) {
    res.writeHead(404).end();
    return;
  }
  // node:http has no router to name the server span after the route; a framework's instrumentation does this.
  trace.getActiveSpan()?.updateName(`POST ${ROUTE}`).setAttribute('http.route', ROUTE);
  let body = '';
  for await (const chunk of req) body += chunk;
  const { query } = JSON.parse(body);
  const answer = await withAttribution({ team: 'search', project: 'docs-assistant', feature: 'semantic-search', customer: 'acme' }, async () => {
    const embedding = await openai.embeddings.create({ model: 'text-embedding-3-small', input: query });
    const ranked = await fetch(`${process.env.RANKER_URL}/rank-and-answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, dimensions: embedding.data[0].embedding.length }),
    });
    return ranked.json();
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  server.close();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
