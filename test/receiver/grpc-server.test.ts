import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../processor/src/pipeline/trace-sink.js';
import { ReceiverMetrics, serveGrpc, type RunningGrpcServer } from '../../processor/src/receiver/index.js';
import { decodeRetryDelaySeconds, decodeRpcStatus } from '../otlp/rpc-status.js';
import { bytes, kv, len, request, span, str, uint } from '../otlp/wire.js';
import { MemorySink } from './support.js';

const LIMIT = 64 * 1024;
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const sink = new MemorySink();
const metrics = new ReceiverMetrics();
let server: RunningGrpcServer;
let client: Client;

beforeAll(async () => {
  server = await serveGrpc({ sink, logger: pino({ level: 'silent' }), bodyLimitBytes: LIMIT, metrics }, { port: 0 });
  client = new Client(server.address, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close();
});

beforeEach(() => sink.reset());

/** A unary call with raw bytes both ways, as the OTLP gRPC exporter makes it. */
function call(path: string, message: Uint8Array, target: Client = client): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    target.makeUnaryRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(message),
      (error: ServiceError | null, response?: Buffer) => (error ? reject(error) : resolve(response!)),
    );
  });
}

async function callError(path: string, message: Uint8Array): Promise<ServiceError> {
  try {
    await call(path, message);
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('gRPC TraceService/Export', () => {
  it('hands decoded spans to the sink and answers an empty response', async () => {
    const response = await call(TRACES, request([span({ attributes: [kv('gen_ai.provider.name', str(1, 'openai'))] })]));
    expect(response.length).toBe(0);
    expect(sink.spans.map((s) => s.attributes)).toStrictEqual([{ 'gen_ai.provider.name': 'openai' }]);
    expect(sink.exports[0]?.context.transport).toBe('grpc');
  });

  it('answers partial success for invalid spans', async () => {
    const response = await call(TRACES, request([span(), span({ spanId: 'ab' })]));
    expect(ProtobufTraceSerializer.deserializeResponse(response)).toStrictEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 8 bytes (16 hex characters), got 1 bytes',
      },
    });
  });

  it('answers INVALID_ARGUMENT for an undecodable request', async () => {
    const error = await callError(TRACES, request([[...uint(1, 5)]]));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected wire type 2 (length-delimited), got 0 (varint)',
    );
    expect(sink.exports).toHaveLength(0);
  });

  it('answers UNAVAILABLE with a RetryInfo delay when the sink asks the client to retry', async () => {
    sink.answer = () => {
      throw new RetryableError('write queue full', 3, 429);
    };
    const error = await callError(TRACES, request([span()]));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toBe('write queue full');
    const [details] = error.metadata.get('grpc-status-details-bin');
    const richStatus = decodeRpcStatus(details as Buffer);
    expect(richStatus.code).toBe(status.UNAVAILABLE);
    expect(richStatus.details[0]?.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
    expect(decodeRetryDelaySeconds(richStatus.details[0]!.value)).toBe(3);
  });

  it('answers UNAVAILABLE for any other sink failure', async () => {
    sink.answer = () => {
      throw new Error('disk on fire');
    };
    const error = await callError(TRACES, request([span()]));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toBe('the data could not be stored right now; retry later');
  });

  it('refuses a message over the body limit with RESOURCE_EXHAUSTED', async () => {
    const error = await callError(TRACES, request([span({ attributes: [kv('blob', str(1, 'x'.repeat(LIMIT)))] })]));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(sink.exports).toHaveLength(0);
  });
});

describe('gRPC logs and metrics services', () => {
  it.each([
    ['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export'],
    ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'],
  ] as const)('%s Export answers an empty success and is counted', async (signal, path) => {
    const before = metrics.requestCount('grpc', signal, 'ok');
    expect((await call(path, bytes(len(1, len(1))))).length).toBe(0);
    expect(metrics.requestCount('grpc', signal, 'ok')).toBe(before + 1);
    expect(sink.exports).toHaveLength(0);
  });
});

describe('gRPC shutdown', () => {
  it('lets an in-flight call finish, then stops accepting calls', async () => {
    const slowSink = new MemorySink();
    let release: () => void = () => undefined;
    slowSink.answer = () => new Promise((resolve) => (release = () => resolve({ rejectedSpans: 0, errorMessage: '' })));
    const own = await serveGrpc({ sink: slowSink, logger: pino({ level: 'silent' }), bodyLimitBytes: LIMIT }, { port: 0 });
    const ownClient = new Client(own.address, credentials.createInsecure());
    try {
      const inFlight = call(TRACES, request([span()]), ownClient);
      await expect.poll(() => slowSink.exports.length).toBe(1);
      let closed = false;
      const closing = own.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      release();
      expect((await inFlight).length).toBe(0);
      await closing;
      const late = new Client(own.address, credentials.createInsecure());
      const refused = await new Promise<ServiceError>((resolve) =>
        late.makeUnaryRequest(TRACES, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (error) => resolve(error!)),
      );
      late.close();
      expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(refused.code);
    } finally {
      ownClient.close();
    }
  });
});
