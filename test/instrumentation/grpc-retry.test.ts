import { Metadata, Server, ServerCredentials, type ServiceError, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryingGrpcExporter } from '../../instrumentation/src/sdk/grpc-retry.js';
import { createSpanExportersFromEnv } from '../../instrumentation/src/sdk/exporters.js';
import { decodeTracesProtobuf, encodeStatusProtobuf, retryInfoDetail } from '../../processor/src/otlp/index.js';
import { exportService } from '../../processor/src/receiver/grpc-server.js';

interface Refusal {
  code: number;
  retryAfterSeconds?: number;
  /** A RetryInfo with no delay, its empty value left out as proto3 encoders do. */
  retryAtOnce?: boolean;
  /** Never answer. */
  hang?: boolean;
}

/** google.rpc.Status { code, details: [Any { type_url: RetryInfo }] }, the Any's empty value omitted. */
function statusWithBareRetryInfo(code: number): Uint8Array {
  const any = protobuf.Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').finish();
  return protobuf.Writer.create().uint32(8).int32(code).uint32(26).bytes(any).finish();
}

/** An OTLP/gRPC trace endpoint that refuses the next exports as told, then accepts, recording what it accepted. */
async function startRefusingEndpoint() {
  const refusals: Refusal[] = [];
  const accepted: string[] = [];
  let calls = 0;
  const server = new Server();
  server.addService(
    // The processor's own service definition: raw bytes, as the OTLP exporters send them.
    exportService('traces'),
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        calls += 1;
        const refusal = refusals.shift();
        if (refusal === undefined) {
          accepted.push(...decodeTracesProtobuf(call.request).spans.map((span) => span.name));
          callback(null, Buffer.alloc(0));
          return;
        }
        if (refusal.hang === true) return;
        const metadata = new Metadata();
        if (refusal.retryAtOnce === true) metadata.set('grpc-status-details-bin', Buffer.from(statusWithBareRetryInfo(refusal.code)));
        if (refusal.retryAfterSeconds !== undefined) {
          const status = { code: refusal.code, message: 'refused', details: [retryInfoDetail(refusal.retryAfterSeconds)] };
          metadata.set('grpc-status-details-bin', Buffer.from(encodeStatusProtobuf(status)));
        }
        const error: Partial<ServiceError> = { code: refusal.code, details: 'refused', metadata };
        callback(error);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    refuse: (...next: Refusal[]) => refusals.push(...next),
    accepted,
    get calls() {
      return calls;
    },
    reset() {
      refusals.length = 0;
      accepted.length = 0;
      calls = 0;
    },
    close: () => server.forceShutdown(),
  };
}

const UNAVAILABLE = 14;
const RESOURCE_EXHAUSTED = 8;
const INVALID_ARGUMENT = 3;

function someSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('test');
  for (const name of ['chat gpt-4.1', 'chat claude-sonnet-4-6']) tracer.startSpan(name).end();
  return memory.getFinishedSpans();
}

function exportThrough(exporter: SpanExporter): Promise<{ result: ExportResult; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => exporter.export(someSpans(), (result) => resolve({ result, ms: Date.now() - started })));
}

describe('gRPC span exports, retried as the OTLP/HTTP exporters retry theirs', () => {
  let endpoint: Awaited<ReturnType<typeof startRefusingEndpoint>>;
  const exporters: SpanExporter[] = [];
  const retrying = (timeoutMs = 10_000): SpanExporter => {
    const exporter = new RetryingGrpcExporter(new OTLPTraceExporter({ url: endpoint.url, timeoutMillis: timeoutMs }), timeoutMs);
    exporters.push(exporter);
    return exporter;
  };

  beforeAll(async () => {
    endpoint = await startRefusingEndpoint();
  });
  beforeEach(() => endpoint.reset());
  afterAll(async () => {
    await Promise.all(exporters.map((exporter) => exporter.shutdown()));
    await endpoint.close();
  });

  it('sends again after UNAVAILABLE, at the delay the server gave (RetryInfo)', async () => {
    endpoint.refuse({ code: UNAVAILABLE, retryAfterSeconds: 0.05 }, { code: UNAVAILABLE, retryAfterSeconds: 0.05 });
    const { result, ms } = await exportThrough(retrying());
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(endpoint.calls).toBe(3);
    expect(endpoint.accepted).toEqual(['chat gpt-4.1', 'chat claude-sonnet-4-6']);
    // Two server-given delays of 50 ms, not the 1 s backoff.
    expect(ms).toBeLessThan(900);
  });

  it('backs off about a second when the server gives no delay', async () => {
    endpoint.refuse({ code: UNAVAILABLE });
    const { result, ms } = await exportThrough(retrying());
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(endpoint.calls).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(800);
  });

  it('retries RESOURCE_EXHAUSTED only when the server says when', async () => {
    endpoint.refuse({ code: RESOURCE_EXHAUSTED, retryAfterSeconds: 0.05 });
    expect((await exportThrough(retrying())).result.code).toBe(ExportResultCode.SUCCESS);
    expect(endpoint.calls).toBe(2);

    endpoint.reset();
    endpoint.refuse({ code: RESOURCE_EXHAUSTED });
    expect((await exportThrough(retrying())).result.code).toBe(ExportResultCode.FAILED);
    expect(endpoint.calls).toBe(1);
    expect(endpoint.accepted).toEqual([]);
  });

  it('never retries a permanent refusal', async () => {
    endpoint.refuse({ code: INVALID_ARGUMENT, retryAfterSeconds: 0.05 });
    expect((await exportThrough(retrying())).result.code).toBe(ExportResultCode.FAILED);
    expect(endpoint.calls).toBe(1);
  });

  it('retries at once when the RetryInfo gives no delay', async () => {
    endpoint.refuse({ code: RESOURCE_EXHAUSTED, retryAtOnce: true });
    const { result, ms } = await exportThrough(retrying());
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(endpoint.calls).toBe(2);
    expect(ms).toBeLessThan(800);
  });

  it('answers within the export timeout even when the last attempt hangs', async () => {
    endpoint.refuse({ code: UNAVAILABLE, retryAfterSeconds: 0.4 }, { code: UNAVAILABLE, hang: true });
    const { result, ms } = await exportThrough(retrying(1000));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(endpoint.calls).toBe(2);
    // Not 0.4 s plus the second attempt's own full second.
    expect(ms).toBeLessThan(1300);
  });

  it('stops at the export timeout, counted from the first attempt', async () => {
    endpoint.refuse({ code: UNAVAILABLE, retryAfterSeconds: 0.2 }, { code: UNAVAILABLE, retryAfterSeconds: 0.2 });
    const { result } = await exportThrough(retrying(300));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(endpoint.calls).toBe(2);
  });

  it('is what the preload builds for OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
    const saved = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint.url;
    try {
      const [exporter, ...others] = createSpanExportersFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
      expect(others).toEqual([]);
      exporters.push(exporter!);
      endpoint.refuse({ code: UNAVAILABLE, retryAfterSeconds: 0.05 });
      expect((await exportThrough(exporter!)).result.code).toBe(ExportResultCode.SUCCESS);
      expect(endpoint.calls).toBe(2);
    } finally {
      if (saved === undefined) delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      else process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = saved;
    }
  });
});
