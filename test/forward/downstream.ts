/**
 * A real downstream OTLP receiver for forwarding tests, on 127.0.0.1: OTLP/HTTP (protobuf or JSON, gzip) and
 * OTLP/gRPC, for traces, logs and metrics. It keeps every request body as received (decompressed) so tests can compare bytes, and answers
 * from a script (e.g. 503 twice, then 200). It can be stopped and started again on the same ports (an outage).
 */
import { Server as GrpcServer, ServerCredentials, status as grpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTracesJson, decodeTracesProtobuf, type DecodedSpan } from '../../processor/src/otlp/index.js';

export interface ReceivedRequest {
  transport: 'http' | 'grpc';
  /** From the gRPC service, or the HTTP path's last segment (anything but logs and metrics counts as traces). */
  signal: 'traces' | 'logs' | 'metrics';
  format: 'protobuf' | 'json';
  path: string;
  /** Content-Encoding (HTTP) or grpc-encoding as sent. */
  encoding: string | undefined;
  headers: Record<string, string>;
  body: Buffer;
  /** Date.now() when it arrived. */
  at: number;
}

export interface ScriptedAnswer {
  /** HTTP status; 0 leaves the request unanswered (a hung backend). */
  status: number;
  retryAfter?: string;
}

export interface Downstream {
  httpUrl: string;
  grpcEndpoint: string;
  /** Requests answered 200 (or gRPC OK). */
  accepted: ReceivedRequest[];
  /** Every request, including the ones the script refused. */
  received: ReceivedRequest[];
  /** Answers for the next HTTP requests, in order; 200 once it runs out. */
  script: ScriptedAnswer[];
  /** The spans of the accepted trace requests (those `filter` keeps), decoded with their wire form. */
  spans(filter?: (request: ReceivedRequest) => boolean): DecodedSpan[];
  waitForSpans(count: number, timeoutMs?: number): Promise<DecodedSpan[]>;
  /** Closes the ports (connections refused) until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const grpcServices = [
  ['traces', 'opentelemetry.proto.collector.trace.v1.TraceService'],
  ['logs', 'opentelemetry.proto.collector.logs.v1.LogsService'],
  ['metrics', 'opentelemetry.proto.collector.metrics.v1.MetricsService'],
] as const;

export async function startDownstream(): Promise<Downstream> {
  const accepted: ReceivedRequest[] = [];
  const received: ReceivedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  let httpServer: Server | null = null;
  let grpcServer: GrpcServer | null = null;
  let httpPort = 0;
  let grpcPort = 0;

  const record = (request: ReceivedRequest, ok: boolean) => {
    received.push(request);
    if (ok) accepted.push(request);
  };

  const startHttp = async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const encoding = req.headers['content-encoding'];
        const raw = Buffer.concat(chunks);
        const format = (req.headers['content-type'] ?? '').includes('json') ? 'json' : 'protobuf';
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const answer = script.shift() ?? { status: 200 };
        const path = req.url ?? '';
        const signal = path.endsWith('/logs') ? 'logs' : path.endsWith('/metrics') ? 'metrics' : 'traces';
        record({ transport: 'http', signal, format, path, encoding, headers, body: encoding === 'gzip' ? gunzipSync(raw) : raw, at: Date.now() }, answer.status === 200);
        if (answer.status === 0) return;
        res.writeHead(answer.status, {
          'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf',
          ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
        });
        res.end(format === 'json' ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(httpPort, '127.0.0.1', () => resolve()));
    httpPort = (server.address() as AddressInfo).port;
    httpServer = server;
  };

  const startGrpc = async () => {
    const server = new GrpcServer();
    const identity = (bytes: Buffer): Buffer => bytes;
    for (const [signal, service] of grpcServices) {
      const path = `/${service}/Export`;
      server.addService(
        { Export: { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
        {
          Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
            const headers = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
            const answer = script.shift() ?? { status: 200 };
            record({ transport: 'grpc', signal, format: 'protobuf', path, encoding: headers['grpc-encoding'], headers, body: call.request, at: Date.now() }, answer.status === 200);
            if (answer.status === 200) callback(null, Buffer.alloc(0));
            else callback({ code: answer.status === 503 ? grpcStatus.UNAVAILABLE : grpcStatus.INVALID_ARGUMENT, details: `scripted ${answer.status}` });
          },
        },
      );
    }
    grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${grpcPort}`, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    grpcServer = server;
  };

  const stop = async () => {
    const http = httpServer;
    const grpc = grpcServer;
    httpServer = null;
    grpcServer = null;
    if (http !== null) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    grpc?.forceShutdown();
  };

  await startHttp();
  await startGrpc();

  const spans = (filter: (request: ReceivedRequest) => boolean = () => true) =>
    accepted.filter((request) => request.signal === 'traces' && filter(request)).flatMap((request) => (request.format === 'json' ? decodeTracesJson(request.body, { keepWire: true }) : decodeTracesProtobuf(request.body, { keepWire: true })).spans);

  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    accepted,
    received,
    script,
    spans,
    async waitForSpans(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = spans();
        if (got.length >= count) return got;
        if (Date.now() > deadline) throw new Error(`downstream: ${got.length} of ${count} spans after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop,
    async start() {
      await startHttp();
      await startGrpc();
    },
    close: stop,
  };
}
