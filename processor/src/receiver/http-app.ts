import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
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
import { withoutQuotedText } from '../logging.js';
import { classifyError, UnauthorizedError } from './errors.js';
import { exportTraces } from './export-traces.js';
import { routeAccess, type ReceiverGuard } from './guard.js';
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
  /** Auth, admission (memory limit) and span passes; none: every request is let in as it is. */
  guard?: ReceiverGuard;
  /** Logs and metrics requests, handed on as received (forwarding); none: they are dropped. Must not block. */
  forwardSignal?: (signal: 'logs' | 'metrics', body: Uint8Array, format: OtlpFormat) => void;
}

/** The processor's HTTP app. Other parts mount their routes on it: `app.route('/v1/reports', reports)`. */
export type ReceiverApp = Hono;

/**
 * OTLP/HTTP receiver (POST /v1/traces, /v1/logs, /v1/metrics; protobuf or JSON; gzip) plus GET /healthz.
 * Every error is mapped to a status in one place, `onError`, which sub-apps mounted with `route()` share.
 * With a guard, OTLP routes need an ingest token and every other route but the probes a read token (routes
 * mounted later included: the check is a middleware registered first).
 */
export function createApp(deps: HttpAppDeps): ReceiverApp {
  const metrics = deps.metrics ?? new ReceiverMetrics();
  const guard = deps.guard;
  const traceDeps = { sink: deps.sink, logger: deps.logger, metrics, passes: guard?.passes ?? [] };
  const app = new Hono();

  app.use('*', async (c, next) => {
    const requestId = requestIdOf(c.req.header('x-request-id'));
    requestIds.set(c.req.raw, requestId);
    c.header('x-request-id', requestId);
    const access = otlpSignal(c.req.path) === undefined ? routeAccess(c.req.path) : null;
    if (guard !== undefined && access !== null) guard.authenticate(c.req.header('authorization'), access, requestId);
    await next();
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.post('/v1/traces', async (c) => {
    const context = { transport: 'http' as const, requestId: requestIdFor(c), principal: admitIngest(c, guard) };
    const format = requestFormat(c.req.header('content-type'));
    const body = await readRequestBody(c, deps.bodyLimitBytes);
    const partial = await exportTraces(body, format, context, traceDeps);
    metrics.countRequest('http', 'traces', partial.rejected > 0 ? 'partial' : 'ok');
    return exportResponse(c, 'traces', format, partial);
  });

  // SDKs send logs and metrics to the same endpoint; the processor does not read them: they are counted and
  // handed to forwarding as they came (dropped when nothing forwards them).
  for (const signal of ['logs', 'metrics'] as const) {
    app.post(`/v1/${signal}`, async (c) => {
      admitIngest(c, guard);
      const format = requestFormat(c.req.header('content-type'));
      const body = await readRequestBody(c, deps.bodyLimitBytes);
      deps.forwardSignal?.(signal, body, format);
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
    const requestId = requestIdFor(c);
    if (disposition.httpStatus === 500) deps.logger.error({ err: error, path: c.req.path, requestId }, 'request failed');
    else if (error instanceof UnauthorizedError) deps.logger.info({ path: c.req.path, status: disposition.httpStatus, reason: disposition.message, requestId }, 'request not authorized');
    else deps.logger.debug({ path: c.req.path, status: disposition.httpStatus, reason: withoutQuotedText(disposition.message), requestId }, 'request refused');
    c.header('x-request-id', requestId);
    if (disposition.httpStatus === 401) c.header('WWW-Authenticate', 'Bearer');
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

const requestIds = new WeakMap<Request, string>();
const safeRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a plain token, else a new one: it is logged, so it must be harmless. */
function requestIdOf(header: string | undefined): string {
  return header !== undefined && safeRequestId.test(header) ? header : randomUUID();
}

function requestIdFor(c: Context): string {
  return requestIds.get(c.req.raw) ?? randomUUID();
}

/** Ingest token check and admission (memory limit), before the body is read. Returns the token holder. */
function admitIngest(c: Context, guard: ReceiverGuard | undefined): string | undefined {
  if (guard === undefined) return undefined;
  const principal = guard.authenticate(c.req.header('authorization'), ['ingest'], requestIdFor(c));
  guard.admit();
  return principal;
}

function readRequestBody(c: Context, limitBytes: number): Promise<Buffer> {
  return readBody(
    requestBodyStream(c),
    contentEncoding(c.req.header('content-encoding')),
    c.req.header('content-length'),
    limitBytes,
  );
}

/**
 * Served by Node's HTTP server (@hono/node-server), the body is read from Node's request itself: the web
 * `ReadableStream` the adapter builds over it, with a fetch `Request` around it, doubled the server's CPU time per
 * 400 KB request (1.7 ms against 0.8 measured). Other runtimes and `app.request()` in tests read the web stream.
 */
function requestBodyStream(c: Context): AsyncIterable<Uint8Array> | null {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  return incoming ?? c.req.raw.body;
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
