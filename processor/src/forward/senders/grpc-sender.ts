import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import type { OtlpSignal } from '../../otlp/index.js';
import { grpcOutcome, retryInfoDelayMs, type SendOutcome } from '../retry.js';
import { describeError, userAgent, type Sender, type WireRequest } from './sender.js';

export interface GrpcSenderOptions {
  /** Which service's Export method: TraceService, LogsService or MetricsService. */
  signal: OtlpSignal;
  /** host:port */
  target: string;
  secure: boolean;
  gzip: boolean;
  headers: Record<string, string>;
  timeoutMs: number;
}

const exportPaths: Record<OtlpSignal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};
const identity = (bytes: Buffer): Buffer => bytes;
/** grpc-js CompressionAlgorithms: 0 identity, 2 gzip. */
const GZIP = 2;

/** OTLP/gRPC {Trace,Logs,Metrics}Service/Export with pre-encoded bytes (identity serializers), as the OTLP JS exporters do. */
export class GrpcSender implements Sender {
  private readonly client: Client;
  private readonly metadata: Metadata;

  constructor(private readonly options: GrpcSenderOptions) {
    this.client = new Client(options.target, options.secure ? credentials.createSsl() : credentials.createInsecure(), {
      'grpc.primary_user_agent': userAgent,
      ...(options.gzip ? { 'grpc.default_compression_algorithm': GZIP } : {}),
    });
    this.metadata = new Metadata();
    for (const [name, value] of Object.entries(options.headers)) this.metadata.set(name.toLowerCase(), value);
  }

  encode(request: WireRequest): Promise<WireRequest> {
    // OTLP/gRPC carries protobuf only, and this processor has no logs/metrics schema to transcode JSON with.
    if (request.format === 'json') return Promise.reject(new Error('an OTLP/JSON request cannot be sent over gRPC'));
    return Promise.resolve(request);
  }

  send(request: WireRequest, signal: AbortSignal): Promise<SendOutcome> {
    const body = request.bytes;
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve({ kind: 'retryable', reason: 'aborted', retryAfterMs: null });
        return;
      }
      const call = this.client.makeUnaryRequest(
        exportPaths[this.options.signal],
        identity,
        identity,
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        this.metadata.clone(),
        { deadline: Date.now() + this.options.timeoutMs },
        (error: ServiceError | null) => {
          signal.removeEventListener('abort', cancel);
          if (error === null) resolve({ kind: 'sent' });
          else resolve(grpcOutcome(error.code, error.details ?? describeError(error), retryDelay(error.metadata)));
        },
      );
      const cancel = () => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}

function retryDelay(metadata: Metadata | undefined): number | null {
  const details = metadata?.get('grpc-status-details-bin')[0];
  return details instanceof Buffer ? retryInfoDelayMs(details) : null;
}
