import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp, serve } from '../../processor/src/receiver/index.js';
import { kv, request, span, str } from '../otlp/wire.js';
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

  it('reads a chunked body from the Node request: decoded whole, gzip inflated, over the limit refused with 413', async () => {
    const sink = new MemorySink();
    const limit = 64 * 1024;
    const server = await serve(createApp({ sink, logger, bodyLimitBytes: limit }), { port: 0 });
    // No Content-Length, written in 1 KiB pieces: only the bytes read can tell the size.
    const sendChunked = (body: Uint8Array, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const outgoing = httpRequest(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...headers } });
        outgoing.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        outgoing.on('error', reject);
        for (let at = 0; at < body.length; at += 1024) outgoing.write(body.subarray(at, at + 1024));
        outgoing.end();
      });
    try {
      const spans = Array.from({ length: 200 }, (_, i) => span({ name: `span ${i}`, attributes: [kv('padding', str(1, 'p'.repeat(100)))] }));
      const body = request(spans);
      expect(body.length).toBeGreaterThan(20 * 1024);
      expect(await sendChunked(body, {})).toBe(200);
      expect(await sendChunked(gzipSync(body), { 'content-encoding': 'gzip' })).toBe(200);
      expect(sink.spans.map((s) => s.name)).toStrictEqual([...spans, ...spans].map((_, i) => `span ${i % 200}`));
      const overLimit = request([span({ attributes: [kv('blob', str(1, 'x'.repeat(limit)))] })]);
      expect(await sendChunked(overLimit, {})).toBe(413);
      expect(await sendChunked(gzipSync(overLimit), { 'content-encoding': 'gzip' })).toBe(413);
      expect(sink.exports).toHaveLength(2);
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
