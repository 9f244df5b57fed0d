import { randomUUID } from 'node:crypto';
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeExportResponseProtobuf, encodeStatusProtobuf, retryInfoDetail, type OtlpSignal } from '../otlp/index.js';
import type { TraceSink } from '../pipeline/trace-sink.js';
import { classifyError, UnauthorizedError } from './errors.js';
import { exportTraces } from './export-traces.js';
import type { ReceiverGuard } from './guard.js';
import { ReceiverMetrics } from './metrics.js';

export interface GrpcReceiverDeps {
  sink: TraceSink;
  logger: Logger;
  /** Largest accepted message, after decompression (the same limit as the HTTP body). */
  bodyLimitBytes: number;
  /** Shared with the HTTP receiver; a fresh one when omitted. */
  metrics?: ReceiverMetrics;
  /** Auth (the `authorization` metadata), admission and span passes; none: every call is let in as it is. */
  guard?: ReceiverGuard;
  /** Logs and metrics requests, handed on as received (forwarding); none: they are dropped. Must not block. */
  forwardSignal?: (signal: 'logs' | 'metrics', body: Uint8Array, format: 'protobuf') => void;
}

export interface GrpcServeOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port; the returned handle says which. */
  port: number;
  /** How long close() lets in-flight calls finish before cancelling them; default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningGrpcServer {
  readonly host: string;
  readonly port: number;
  /** host:port, as gRPC clients take it. */
  readonly address: string;
  /** Stops accepting calls, lets in-flight calls finish (up to the grace period), then resolves. */
  close(): Promise<void>;
}

const SERVICES: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
};

/**
 * A unary Export method that passes raw message bytes through (identity serializers), as the OTLP JS exporters
 * send them, so the request is decoded by the same protobuf decoder as HTTP bodies.
 */
export function exportService(signal: OtlpSignal): ServiceDefinition {
  const identity = (bytes: Buffer): Buffer => bytes;
  return {
    Export: {
      path: `/${SERVICES[signal]}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

/**
 * OTLP/gRPC receiver: TraceService/Export decoded and handed to the sink; logs and metrics handed to forwarding
 * as they came, and answered empty.
 */
export async function serveGrpc(deps: GrpcReceiverDeps, options: GrpcServeOptions): Promise<RunningGrpcServer> {
  const metrics = deps.metrics ?? new ReceiverMetrics();
  const guard = deps.guard;
  const traceDeps = { sink: deps.sink, logger: deps.logger, metrics, passes: guard?.passes ?? [] };
  /** Ingest token check and admission, as for HTTP; returns the token holder. */
  const admit = (call: ServerUnaryCall<Buffer, Buffer>, requestId: string): string | undefined => {
    if (guard === undefined) return undefined;
    const [authorization] = call.metadata.get('authorization');
    const principal = guard.authenticate(authorization === undefined ? undefined : String(authorization), ['ingest'], requestId);
    guard.admit();
    return principal;
  };
  const refuse = (signal: OtlpSignal, error: unknown, callback: sendUnaryData<Buffer>, requestId: string) => {
    const disposition = classifyError(error);
    metrics.countRequest('grpc', signal, disposition.outcome);
    if (disposition.outcome === 'error') deps.logger.error({ err: error, requestId }, 'gRPC export failed');
    else if (error instanceof UnauthorizedError) deps.logger.info({ reason: disposition.message, requestId }, 'gRPC call not authorized');
    const metadata = new Metadata();
    if (disposition.retryAfterSeconds !== undefined) {
      // Rich status with google.rpc.RetryInfo: how OTLP/gRPC servers say when to retry.
      const status = {
        code: disposition.rpcCode,
        message: disposition.message,
        details: [retryInfoDetail(disposition.retryAfterSeconds)],
      };
      metadata.set('grpc-status-details-bin', asBuffer(encodeStatusProtobuf(status)));
    }
    callback({ code: disposition.rpcCode, details: disposition.message, metadata });
  };
  const server = new Server({
    'grpc.max_receive_message_length': deps.bodyLimitBytes,
  });

  server.addService(exportService('traces'), {
    Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const requestId = randomUUID();
      Promise.resolve()
        .then(() => exportTraces(call.request, 'protobuf', { transport: 'grpc', requestId, principal: admit(call, requestId) }, traceDeps))
        .then(
          (partial) => {
            metrics.countRequest('grpc', 'traces', partial.rejected > 0 ? 'partial' : 'ok');
            callback(null, asBuffer(encodeExportResponseProtobuf(partial)));
          },
          (error: unknown) => refuse('traces', error, callback, requestId),
        );
    },
  });
  for (const signal of ['logs', 'metrics'] as const) {
    server.addService(exportService(signal), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const requestId = randomUUID();
        try {
          admit(call, requestId);
        } catch (error) {
          refuse(signal, error, callback, requestId);
          return;
        }
        deps.forwardSignal?.(signal, call.request, 'protobuf');
        metrics.countRequest('grpc', signal, 'ok');
        callback(null, Buffer.alloc(0));
      },
    });
  }

  const host = options.host ?? '127.0.0.1';
  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${options.port}`, ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
  const graceMs = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    address: `${bindHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.forceShutdown(), graceMs);
        deadline.unref();
        server.tryShutdown(() => {
          clearTimeout(deadline);
          resolve();
        });
      });
      return closing;
    },
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
