import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ReceiverApp } from './http-app.js';

export interface HttpServeOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port; the returned handle says which. */
  port: number;
  /** How long close() lets in-flight requests finish before cutting their connections; default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningHttpServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:4318 */
  readonly url: string;
  /** Stops accepting connections, lets in-flight requests finish (up to the grace period), then resolves. */
  close(): Promise<void>;
}

/** Serves the app with Node's HTTP server; resolves once listening. */
export async function serve(app: ReceiverApp, options: HttpServeOptions): Promise<RunningHttpServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;
  // Once closing, a keep-alive connection is closed as soon as its last request is answered.
  server.on('request', (_request, response) => {
    response.once('finish', () => {
      if (closing !== undefined) setImmediate(() => server.closeIdleConnections());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= new Promise((resolve, reject) => {
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        deadline.unref();
        // close() stops accepting and closes idle connections; it calls back once in-flight requests are done.
        server.close((error) => {
          clearTimeout(deadline);
          if (error) reject(error);
          else resolve();
        });
      });
      return closing;
    },
  };
}
