/**
 * A small OTLP/HTTP trace receiver for tests: accepts `POST /v1/traces` (protobuf or JSON, gzip or not), decodes
 * with the processor's own decoders and keeps the spans. `/v1/logs` and `/v1/metrics` are accepted and ignored.
 * Its API is deliberately small (`url`, `spans`, `waitForSpans`, `close`) so the real processor can replace it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTracesJson, decodeTracesProtobuf, type DecodedSpan } from '../../processor/src/otlp/index.js';

export interface TestCollector {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans: DecodedSpan[];
  /** Resolves with the spans once `predicate` holds for them; rejects after `timeoutMs`. */
  waitForSpans(predicate: (spans: DecodedSpan[]) => boolean, timeoutMs?: number): Promise<DecodedSpan[]>;
  close(): Promise<void>;
}

export interface TestCollectorOptions {
  /** Keep the spans at once but answer export requests only this much later: a collector that is slow to answer. */
  answerDelayMs?: number;
}

export async function startTestCollector(options: TestCollectorOptions = {}): Promise<TestCollector> {
  const spans: DecodedSpan[] = [];
  const waiters = new Set<() => void>();
  const delayedAnswers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const json = (req.headers['content-type'] ?? '').includes('json');
      if (req.url !== '/v1/traces') {
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
        return;
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        spans.push(...(json ? decodeTracesJson(body) : decodeTracesProtobuf(body)).spans);
        for (const wake of waiters) wake();
        const answer = (): void => {
          res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
        };
        if (options.answerDelayMs === undefined) answer();
        else {
          const timer = setTimeout(() => {
            delayedAnswers.delete(timer);
            answer();
          }, options.answerDelayMs);
          delayedAnswers.add(timer);
        }
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    waitForSpans(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return;
          cleanup();
          resolve(spans);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`collector: condition not met within ${timeoutMs} ms; got ${spans.length} spans: ${spans.map((s) => s.name).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of delayedAnswers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
