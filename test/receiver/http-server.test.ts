import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp, serve } from '../../processor/src/receiver/index.js';
import { request, span } from '../otlp/wire.js';
import { MemorySink } from './support.js';

const logger = pino({ level: 'silent' });

describe('serve', () => {
  it('binds a free port when given 0 and answers on it', async () => {
    const server = await serve(createApp({ sink: new MemorySink(), logger, bodyLimitBytes: 1024 }), { port: 0 });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const response = await fetch(`${server.url}/healthz`);
      expect(await response.json()).toStrictEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const sink = new MemorySink();
    const server = await serve(createApp({ sink, logger, bodyLimitBytes: 1024 }), { port: 0 });
    try {
      // Headers only: the 10 GiB body is never sent, so a 413 can only come from the declared length.
      const status = await new Promise<number>((resolve, reject) => {
        const outgoing = httpRequest(`${server.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-length': String(10 * 1024 ** 3) },
        });
        outgoing.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          outgoing.destroy();
        });
        outgoing.on('error', reject);
        outgoing.flushHeaders();
      });
      expect(status).toBe(413);
      expect(sink.exports).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('closes gracefully: an in-flight request is answered, then new connections are refused', async () => {
    const sink = new MemorySink();
    let release: () => void = () => undefined;
    sink.answer = () => new Promise((resolve) => (release = () => resolve({ rejectedSpans: 0, errorMessage: '' })));
    const server = await serve(createApp({ sink, logger, bodyLimitBytes: 1024 * 1024 }), { port: 0 });
    const inFlight = fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: request([span()]),
    });
    await expect.poll(() => sink.exports.length).toBe(1);
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
