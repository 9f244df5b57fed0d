import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  status: number;
}

/**
 * A webhook endpoint on 127.0.0.1. Each path answers with the statuses queued for it (then 200); a path in
 * `hang` accepts the request and never answers (a webhook that is down in the worst way).
 */
export async function startWebhookReceiver() {
  const received: Received[] = [];
  const scripted = new Map<string, number[]>();
  const hang = new Set<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (hang.has(path)) return;
      const status = scripted.get(path)?.shift() ?? 200;
      received.push({ path, headers: req.headers, body: JSON.parse(text), status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Bodies that were answered 2xx on this path. */
    delivered: (path: string) => received.filter((r) => r.path === path && r.status < 300).map((r) => r.body),
    respond(path: string, statuses: number[]) {
      scripted.set(path, [...statuses]);
    },
    hang(path: string) {
      hang.add(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
