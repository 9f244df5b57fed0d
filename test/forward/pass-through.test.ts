import { credentials, Client } from '@grpc/grpc-js';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, JsonMetricsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createForwarding } from '../../processor/src/forward/index.js';
import { countItems } from '../../processor/src/forward/wire/count-items.js';
import { createApp, ReceiverMetrics, serveGrpc } from '../../processor/src/receiver/index.js';
import { openLedger } from '../support/ledger-harness.js';
import { startDownstream, type Downstream, type ReceivedRequest } from './downstream.js';
import { startForwardingProcessor, type ForwardingProcessor } from './harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(forward: (downstream: Downstream) => unknown[]): Promise<{ downstream: Downstream; processor: ForwardingProcessor }> {
  const downstream = await startDownstream();
  const processor = await startForwardingProcessor(forward(downstream));
  cleanups.push(() => downstream.close(), () => processor.close(500));
  return { downstream, processor };
}

const resource = resourceFromAttributes({ 'service.name': 'answer-api', 'chargeback.team': 'search' });

/** Log records as an app's LoggerProvider makes them: `count` records, the i-th saying `${tag} i`. */
function logRecords(count: number, tag: string): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('answer-api', '1.0.0');
  for (let i = 0; i < count; i++) logger.emit({ body: `${tag} ${i}`, severityNumber: 9, severityText: 'INFO', attributes: { 'log.index': i, 'http.route': '/answer' } });
  return memory.getFinishedLogRecords();
}

class ManualReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** One collection of an app's metrics: 4 data points (a counter with two attribute sets, a histogram, a gauge). */
async function resourceMetrics(): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('answer-api');
  const requests = meter.createCounter('answer.requests');
  requests.add(3, { route: '/answer' });
  requests.add(1, { route: '/search' });
  meter.createHistogram('answer.duration', { unit: 'ms' }).record(120);
  meter.createObservableGauge('answer.queue_depth').addCallback((result) => result.observe(7));
  const { resourceMetrics: collected, errors } = await reader.collect();
  expect(errors).toStrictEqual([]);
  return collected;
}

/** Sends with a real OTLP exporter and resolves with its result code (0: success). */
function exportWith<T>(exporter: { export(items: T, done: (result: { code: number; error?: Error }) => void): void }, items: T): Promise<number> {
  return new Promise((resolve) => exporter.export(items, (result) => resolve(result.code)));
}

const logsUrl = (processor: ForwardingProcessor) => `${processor.url}/v1/logs`;
const metricsUrl = (processor: ForwardingProcessor) => `${processor.url}/v1/metrics`;

/** What a downstream got, comparable regardless of arrival order. */
function described(requests: readonly ReceivedRequest[]): string[] {
  return requests.map((r) => `${r.transport} ${r.path} ${r.format} ${r.body.toString('base64')}`).sort();
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const quickRetry = { initial_interval: '20ms', max_interval: '100ms', randomization_factor: 0 };
const logsPath = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const metricsPath = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

describe('logs and metrics pass through to the forward exporters', () => {
  it('the real SDK exporters\' requests (HTTP protobuf, gzip, JSON; gRPC in) reach each downstream byte for byte, counted in log records and metric points', async () => {
    const { downstream, processor } = await setup((d) => [
      { name: 'http', endpoint: d.httpUrl, compression: 'gzip', retry: quickRetry },
      { name: 'grpc', endpoint: d.grpcEndpoint, protocol: 'grpc', retry: quickRetry },
      { name: 'traces-only', traces_endpoint: `${d.httpUrl}/only/v1/traces` },
    ]);
    const grpcIn = await serveGrpc(
      { sink: processor.ledger.pipeline, logger: processor.ledger.logger, bodyLimitBytes: 64 << 20, forwardSignal: processor.forwarding.forwardSignal },
      { port: 0, shutdownGraceMs: 500 },
    );
    cleanups.push(() => grpcIn.close());

    const records = logRecords(3, 'answered');
    const grpcRecords = logRecords(2, 'over grpc');
    const metrics = await resourceMetrics();
    const protobufLogs = Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!);
    const jsonLogs = Buffer.from(JsonLogsSerializer.serializeRequest(records)!);
    const protobufMetrics = Buffer.from(ProtobufMetricsSerializer.serializeRequest(metrics)!);
    const grpcLogs = Buffer.from(ProtobufLogsSerializer.serializeRequest(grpcRecords)!);

    expect(await exportWith(new ProtobufLogExporter({ url: logsUrl(processor), compression: CompressionAlgorithm.GZIP }), records)).toBe(0);
    expect(await exportWith(new JsonLogExporter({ url: logsUrl(processor) }), records)).toBe(0);
    expect(await exportWith(new OTLPMetricExporter({ url: metricsUrl(processor) }), metrics)).toBe(0);
    const client = new Client(grpcIn.address, credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(logsPath, (b: Buffer) => b, (b: Buffer) => b, grpcLogs, (error) => (error ? reject(error) : resolve())),
    );
    client.close();

    const expected = [
      `http /v1/logs protobuf ${protobufLogs.toString('base64')}`,
      `http /v1/logs json ${jsonLogs.toString('base64')}`,
      `http /v1/metrics protobuf ${protobufMetrics.toString('base64')}`,
      `http /v1/logs protobuf ${grpcLogs.toString('base64')}`,
      `grpc ${logsPath} protobuf ${protobufLogs.toString('base64')}`,
      `grpc ${metricsPath} protobuf ${protobufMetrics.toString('base64')}`,
      `grpc ${logsPath} protobuf ${grpcLogs.toString('base64')}`,
    ].sort();
    const snapshot = () => processor.forwarding.metrics.snapshot();
    // The gRPC exporter cannot carry the OTLP/JSON request: it gives it up (counted) rather than send it.
    await until(() => downstream.accepted.length >= expected.length && snapshot()[1]!.otelcol_exporter_send_failed_log_records === 3);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a stray or duplicate request would arrive now
    expect(described(downstream.received)).toStrictEqual(expected);
    expect(downstream.accepted.filter((r) => r.transport === 'http').every((r) => r.encoding === 'gzip')).toBe(true);

    expect(snapshot().map((m) => [m.exporter, m.otelcol_exporter_sent_log_records, m.otelcol_exporter_send_failed_log_records, m.otelcol_exporter_sent_metric_points])).toStrictEqual([
      ['http', 3 + 3 + 2, 0, 4],
      ['grpc', 3 + 2, 3, 4],
      ['traces-only', 0, 0, 0],
    ]);
    // Nothing of it is a span: the ledger and the span counters are untouched.
    expect(snapshot().map((m) => m.otelcol_exporter_sent_spans)).toStrictEqual([0, 0, 0]);
    expect(await processor.ledger.query('SELECT count(*)::INTEGER AS calls FROM llm_calls')).toStrictEqual([{ calls: 0 }]);
  });

  it('a downstream answering 503 then 200 gets each logs and metrics request exactly once', async () => {
    const { downstream, processor } = await setup((d) => [{ endpoint: d.httpUrl, retry: quickRetry }]);
    downstream.script.push({ status: 503, retryAfter: '0' }, { status: 503 });
    const records = logRecords(4, 'retried');
    const metrics = await resourceMetrics();
    expect(await exportWith(new ProtobufLogExporter({ url: logsUrl(processor) }), records)).toBe(0);
    expect(await exportWith(new OTLPMetricExporter({ url: metricsUrl(processor) }), metrics)).toBe(0);

    await until(() => downstream.accepted.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 150)); // a duplicate would arrive now
    expect(described(downstream.accepted)).toStrictEqual(
      [
        `http /v1/logs protobuf ${Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!).toString('base64')}`,
        `http /v1/metrics protobuf ${Buffer.from(ProtobufMetricsSerializer.serializeRequest(metrics)!).toString('base64')}`,
      ].sort(),
    );
    expect(downstream.received).toHaveLength(4);
    expect(processor.forwarding.metrics.snapshot()[0]).toMatchObject({
      otelcol_exporter_sent_log_records: 4,
      otelcol_exporter_send_failed_log_records: 0,
      otelcol_exporter_sent_metric_points: 4,
      otelcol_exporter_send_failed_metric_points: 0,
      genai_chargeback_forward_retries: 2,
    });
  });

  it('while the downstream is down, a full queue drops the oldest requests (counted) and ingest still gets 200', async () => {
    const bodies = [0, 1, 2, 3].map((i) => Buffer.from(ProtobufLogsSerializer.serializeRequest(logRecords(3, `request ${i}`))!));
    // Room for one request: a second one queued pushes the older out.
    const maxMib = (1.5 * Math.max(...bodies.map((b) => b.length))) / (1 << 20);
    const { downstream, processor } = await setup((d) => [
      { endpoint: d.httpUrl, queue: { max_mib: maxMib, consumers: 1 }, retry: { initial_interval: '50ms', max_interval: '50ms', randomization_factor: 0 } },
    ]);
    await downstream.stop();
    for (const body of bodies) {
      const response = await fetch(logsUrl(processor), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    // The first is in flight (retrying), the second and third were pushed out by the next ones.
    expect(processor.forwarding.metrics.snapshot()[0]).toMatchObject({ otelcol_exporter_enqueue_failed_log_records: 6, otelcol_exporter_sent_log_records: 0 });
    await downstream.start();
    await until(() => processor.forwarding.metrics.snapshot()[0]!.otelcol_exporter_sent_log_records === 6);
    expect(downstream.accepted.map((r) => r.body)).toStrictEqual([bodies[0], bodies[3]]);
  });

  it('with no forwarding configured, logs and metrics are answered 200, counted and dropped', async () => {
    const ledger = await openLedger();
    const forwarding = createForwarding([], { db: ledger.db.instance, logger: ledger.logger });
    cleanups.push(async () => {
      await forwarding.shutdown(100);
      await ledger.close();
    });
    const metrics = new ReceiverMetrics();
    const app = createApp({ sink: ledger.pipeline, logger: ledger.logger, bodyLimitBytes: 1 << 20, metrics, forwardSignal: forwarding.forwardSignal });
    const logs = Buffer.from(ProtobufLogsSerializer.serializeRequest(logRecords(2, 'dropped'))!);
    const points = Buffer.from(JsonMetricsSerializer.serializeRequest(await resourceMetrics())!);
    const post = (path: string, body: Buffer, type: string) => app.request(path, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('/v1/logs', logs, 'application/x-protobuf')).status).toBe(200);
    expect((await post('/v1/metrics', points, 'application/json')).status).toBe(200);
    expect([metrics.requestCount('http', 'logs', 'ok'), metrics.requestCount('http', 'metrics', 'ok')]).toStrictEqual([1, 1]);
    expect(forwarding.metrics.snapshot()).toStrictEqual([]);
  });
});

describe('counting log records and metric points (pure)', () => {
  it('counts the same items in protobuf and OTLP/JSON, and 0 for a body it cannot read', async () => {
    const records = logRecords(5, 'counted');
    const metrics = await resourceMetrics();
    expect(countItems('logs', ProtobufLogsSerializer.serializeRequest(records)!, 'protobuf')).toBe(5);
    expect(countItems('logs', JsonLogsSerializer.serializeRequest(records)!, 'json')).toBe(5);
    expect(countItems('metrics', ProtobufMetricsSerializer.serializeRequest(metrics)!, 'protobuf')).toBe(4);
    expect(countItems('metrics', JsonMetricsSerializer.serializeRequest(metrics)!, 'json')).toBe(4);
    expect(countItems('logs', new Uint8Array(0), 'protobuf')).toBe(0);
    expect(countItems('logs', Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}'), 'json')).toBe(0); // truncated
    expect(countItems('metrics', Buffer.from([0x0a, 0x7f, 0x01]), 'protobuf')).toBe(0); // length past the end
  });
});
