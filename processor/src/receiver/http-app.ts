import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import {
  encodeExportResponseJson,
  encodeExportResponseProtobuf,
  encodeStatusJson,
  encodeStatusProtobuf,
  type OtlpSignal,
  type PartialSuccess,
} from '../otlp/index.js';
import type { TraceSink } from '../pipeline/trace-sink.js';
import { classifyError } from './errors.js';
import { exportTraces } from './export-traces.js';
import { CONTENT_TYPE, contentEncoding, requestFormat, responseFormat, type OtlpFormat } from './media-type.js';
import { ReceiverMetrics } from './metrics.js';
import { readBody } from './read-body.js';

export interface HttpAppDeps {
  sink: TraceSink;
  logger: Logger;
  /** Largest accepted request body, after decompression (OTLP recommends 64 MiB). */
  bodyLimitBytes: number;
  /** Shared with the gRPC receiver so both count into one place; a fresh one when omitted. */
  metrics?: ReceiverMetrics;
}

/** The processor's HTTP app. Other parts mount their routes on it: `app.route('/v1/reports', reports)`. */
export type ReceiverApp = Hono;

/**
 * OTLP/HTTP receiver (POST /v1/traces, /v1/logs, /v1/metrics; protobuf or JSON; gzip) plus GET /healthz.
 * Every error is mapped to a status in one place, `onError`, which sub-apps mounted with `route()` share.
 */
export function createApp(deps: HttpAppDeps): ReceiverApp {
  const metrics = deps.metrics ?? new ReceiverMetrics();
  const traceDeps = { sink: deps.sink, logger: deps.logger, metrics };
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.post('/v1/traces', async (c) => {
    const format = requestFormat(c.req.header('content-type'));
    const body = await readRequestBody(c, deps.bodyLimitBytes);
    const partial = await exportTraces(body, format, { transport: 'http', requestId: randomUUID() }, traceDeps);
    metrics.countRequest('http', 'traces', partial.rejected > 0 ? 'partial' : 'ok');
    return exportResponse(c, 'traces', format, partial);
  });

  // SDKs send logs and metrics to the same endpoint; the processor does not use them yet, so they are
  // validated like traces, counted and dropped.
  for (const signal of ['logs', 'metrics'] as const) {
    app.post(`/v1/${signal}`, async (c) => {
      const format = requestFormat(c.req.header('content-type'));
      await readRequestBody(c, deps.bodyLimitBytes);
      metrics.countRequest('http', signal, 'ok');
      return exportResponse(c, signal, format);
    });
  }

  app.onError((error, c) => {
    // Routes mounted by other parts may throw Hono's own HTTP errors, which carry their response.
    if (error instanceof HTTPException) return error.getResponse();
    const disposition = classifyError(error);
    const signal = otlpSignal(c.req.path);
    if (signal !== undefined) metrics.countRequest('http', signal, disposition.outcome);
    if (disposition.httpStatus === 500) deps.logger.error({ err: error, path: c.req.path }, 'request failed');
    else deps.logger.debug({ path: c.req.path, status: disposition.httpStatus, reason: disposition.message }, 'request refused');
    if (disposition.retryAfterSeconds !== undefined) {
      c.header('Retry-After', String(Math.max(1, Math.ceil(disposition.retryAfterSeconds))));
    }
    const status = { code: disposition.rpcCode, message: disposition.message };
    const format = signal === undefined ? 'json' : responseFormat(c.req.header('content-type'));
    c.header('Content-Type', CONTENT_TYPE[format]);
    if (format === 'protobuf') return c.body(encodeStatusProtobuf(status), disposition.httpStatus);
    return c.body(encodeStatusJson(status), disposition.httpStatus);
  });

  return app;
}

function readRequestBody(c: Context, limitBytes: number): Promise<Buffer> {
  return readBody(
    c.req.raw.body,
    contentEncoding(c.req.header('content-encoding')),
    c.req.header('content-length'),
    limitBytes,
  );
}

function exportResponse(c: Context, signal: OtlpSignal, format: OtlpFormat, partial?: PartialSuccess): Response {
  c.header('Content-Type', CONTENT_TYPE[format]);
  if (format === 'protobuf') return c.body(encodeExportResponseProtobuf(partial), 200);
  return c.body(encodeExportResponseJson(signal, partial), 200);
}

function otlpSignal(path: string): OtlpSignal | undefined {
  if (path === '/v1/traces') return 'traces';
  if (path === '/v1/logs') return 'logs';
  if (path === '/v1/metrics') return 'metrics';
  return undefined;
}
