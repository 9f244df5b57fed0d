import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A fake OpenAI + Anthropic admin API on 127.0.0.1 serving the fixture reports one time bucket per page, with opaque
 * cursors, the way both APIs paginate. Checks the auth headers and records every request.
 */
export interface FakeAdminApi {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const fixtures = join(import.meta.dirname, 'fixtures');

interface Route {
  fixture: string | null;
  auth: (request: IncomingMessage) => boolean;
  /** Answer the first request with 429 to exercise the retry. */
  throttleOnce?: boolean;
}

const openAiAuth = (request: IncomingMessage): boolean => request.headers.authorization === 'Bearer test-openai-admin';
const anthropicAuth = (request: IncomingMessage): boolean =>
  request.headers['x-api-key'] === 'test-anthropic-admin' && request.headers['anthropic-version'] === '2023-06-01';

const routes: Record<string, Route> = {
  '/v1/organization/usage/completions': { fixture: 'openai/usage-completions.json', auth: openAiAuth },
  '/v1/organization/usage/embeddings': { fixture: null, auth: openAiAuth },
  '/v1/organization/costs': { fixture: 'openai/costs.json', auth: openAiAuth, throttleOnce: true },
  '/v1/organizations/usage_report/messages': { fixture: 'anthropic/usage.json', auth: anthropicAuth },
  '/v1/organizations/cost_report': { fixture: 'anthropic/costs.json', auth: anthropicAuth },
};

export async function startFakeAdminApi(): Promise<FakeAdminApi> {
  const requests: string[] = [];
  const throttled = new Set<string>();
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const route = routes[url.pathname];
    if (!route) return void response.writeHead(404).end('{"error":"not found"}');
    if (!route.auth(request)) return void response.writeHead(401).end('{"error":{"message":"invalid admin key"}}');
    if (route.throttleOnce && !throttled.has(url.pathname)) {
      throttled.add(url.pathname);
      return void response.writeHead(429, { 'retry-after': '0' }).end('{"error":"rate limited"}');
    }
    const full = route.fixture === null ? { object: 'page', data: [] } : (JSON.parse(await readFile(join(fixtures, route.fixture), 'utf8')) as { data: unknown[] });
    const index = Number(Buffer.from(url.searchParams.get('page')?.replace(/^page_/, '') ?? 'MA==', 'base64').toString());
    const last = index >= full.data.length - 1;
    const page = {
      ...full,
      data: full.data.slice(index, index + 1),
      has_more: !last,
      next_page: last ? null : `page_${Buffer.from(String(index + 1)).toString('base64')}`,
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
