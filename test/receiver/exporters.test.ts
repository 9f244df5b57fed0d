import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ReceiverMetrics,
  createApp,
  serve,
  serveGrpc,
  type RunningGrpcServer,
  type RunningHttpServer,
} from '../../processor/src/receiver/index.js';
import { expectDecodedSdkSpans, makeSdkSpans } from '../otlp/sdk-spans.js';
import { MemorySink } from './support.js';

// The real OTLP JS exporters, as applications run them, against the receivers on free ports.

const sink = new MemorySink();
const metrics = new ReceiverMetrics();
const logger = pino({ level: 'silent' });
let http: RunningHttpServer;
let grpc: RunningGrpcServer;

beforeAll(async () => {
  const bodyLimitBytes = 4 * 1024 * 1024;
  http = await serve(createApp({ sink, logger, bodyLimitBytes, metrics }), { port: 0 });
  grpc = await serveGrpc({ sink, logger, bodyLimitBytes, metrics }, { port: 0 });
});

afterAll(async () => {
  await Promise.all([http.close(), grpc.close()]);
});

beforeEach(() => sink.reset());

function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

const exporters: [string, 'protobuf' | 'json', 'http' | 'grpc', () => SpanExporter][] = [
  ['exporter-trace-otlp-proto', 'protobuf', 'http', () => new ProtobufExporter({ url: `${http.url}/v1/traces` })],
  ['exporter-trace-otlp-proto, gzip', 'protobuf', 'http', () => new ProtobufExporter({ url: `${http.url}/v1/traces`, compression: CompressionAlgorithm.GZIP })],
  ['exporter-trace-otlp-http (JSON)', 'json', 'http', () => new JsonExporter({ url: `${http.url}/v1/traces` })],
  ['exporter-trace-otlp-http (JSON), gzip', 'json', 'http', () => new JsonExporter({ url: `${http.url}/v1/traces`, compression: CompressionAlgorithm.GZIP })],
  ['exporter-trace-otlp-grpc', 'protobuf', 'grpc', () => new GrpcExporter({ url: `http://${grpc.address}` })],
  ['exporter-trace-otlp-grpc, gzip', 'protobuf', 'grpc', () => new GrpcExporter({ url: `http://${grpc.address}`, compression: CompressionAlgorithm.GZIP })],
];

describe('real OTLP exporters', () => {
  it.each(exporters)('%s: export succeeds and every field arrives', async (_name, format, transport, makeExporter) => {
    const sdkSpans = makeSdkSpans();
    const acceptedBefore = metrics.snapshot().spans[transport].accepted;
    const exporter = makeExporter();
    try {
      const result = await exportSpans(exporter, sdkSpans);
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
    } finally {
      await exporter.shutdown();
    }
    expect(sink.exports).toHaveLength(1);
    expect(sink.exports[0]?.context.transport).toBe(transport);
    expectDecodedSdkSpans(sink.spans, sdkSpans, format);
    expect(metrics.snapshot().spans[transport].accepted - acceptedBefore).toBe(sdkSpans.length);
  });
});
