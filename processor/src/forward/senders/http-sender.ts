import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { httpOutcome, type SendOutcome } from '../retry.js';
import { protobufTracesToJson } from '../wire/protobuf-to-json.js';
import { describeError, userAgent, type Sender, type WireFormat, type WireRequest } from './sender.js';

const gzipAsync = promisify(gzip);
const contentType: Record<WireFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

export interface HttpSenderOptions {
  /** The full URL of the signal (…/v1/traces, …/v1/logs, …/v1/metrics). */
  url: URL;
  /** Span requests (always protobuf here) are sent in this format; `as-received`: logs and metrics pass through. */
  format: WireFormat | 'as-received';
  gzip: boolean;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Connections kept open: one per concurrent request. */
  maxSockets: number;
}

/** OTLP/HTTP (protobuf or JSON) over node:http with keep-alive; gzip runs on the libuv pool, off the event loop. */
export class HttpSender implements Sender {
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: HttpSenderOptions) {
    const secure = options.url.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.request = secure ? httpsRequest : httpRequest;
    this.headers = {
      'user-agent': userAgent,
      ...options.headers,
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    };
  }

  async encode(request: WireRequest): Promise<WireRequest> {
    const converted =
      this.options.format === 'json' && request.format === 'protobuf'
        ? { bytes: Buffer.from(protobufTracesToJson(request.bytes), 'utf8'), format: 'json' as const }
        : request;
    return this.options.gzip ? { bytes: await gzipAsync(converted.bytes), format: converted.format } : converted;
  }

  send(request: WireRequest, signal: AbortSignal): Promise<SendOutcome> {
    const body = request.bytes;
    return new Promise((resolve) => {
      // Timer and listener rather than AbortSignal.any, which keeps every request's signal alive on Node 20.
      const settle = (outcome: SendOutcome) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        resolve(outcome);
      };
      const req = this.request(
        this.options.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'content-type': contentType[request.format], 'content-length': String(body.byteLength) },
        },
        (res) => {
          // The answer is in the status; the body (a partial success or an rpc Status) is read and dropped.
          res.resume();
          res.on('end', () => settle(httpOutcome(res.statusCode ?? 0, header(res.headers, 'retry-after'), Date.now())));
          res.on('error', (error) => settle({ kind: 'retryable', reason: describeError(error), retryAfterMs: null }));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      const abort = () => req.destroy(new Error('aborted at the shutdown deadline'));
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      // Connection refused, reset, timed out: the downstream may be back later.
      req.on('error', (error) => settle({ kind: 'retryable', reason: describeError(error), retryAfterMs: null }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
