import { ExportResultCode } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { callBatch, exportWith, makeExporter, prng, readLedger, scrapeMetrics, type ExporterKind } from './support.js';

// Duplicate storms: the same batches replayed over HTTP protobuf, HTTP JSON and gRPC, interleaved and
// concurrent, as retries and replaying collectors produce them.

const batchCount = 20;
const callsPerBatch = 50;
const copies: ExporterKind[] = ['proto', 'json', 'grpc', 'proto', 'grpc'];

describe('duplicate storm', () => {
  let processor: ProcessorProcess;
  beforeAll(async () => {
    processor = await startProcessor();
  });
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('stores each call once, counts the repeats, and reports them under the Collector metric names', async () => {
    const batches = Array.from({ length: batchCount }, (_, b) => callBatch(500 + b, callsPerBatch));
    const random = prng(42);
    const sends = batches.flatMap((batch) => copies.map((kind) => ({ batch, kind, order: random() }))).sort((a, b) => a.order - b.order);
    const target = { httpUrl: processor.httpUrl, grpcAddress: processor.grpcAddress };
    const exporters = new Map(copies.map((kind) => [kind, makeExporter(kind, target)]));

    // Eight sends in flight at any time, in the shuffled order.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < sends.length) {
          const { batch, kind } = sends[next++] as (typeof sends)[number];
          const result = await exportWith(exporters.get(kind)!, batch.spans);
          expect(result.code, String(result.error)).toBe(ExportResultCode.SUCCESS);
        }
      }),
    );
    await Promise.all([...exporters.values()].map((exporter) => exporter.shutdown()));

    const calls = batchCount * callsPerBatch;
    const spansPerBatch = callsPerBatch + 1;
    const metrics = await scrapeMetrics(processor.httpUrl);
    expect(metrics.get('genai_chargeback_calls_stored_total')).toBe(calls);
    expect(metrics.get('genai_chargeback_calls_duplicate_total')).toBe(calls * (copies.length - 1));
    const accepted = (transport: string) => metrics.get(`otelcol_receiver_accepted_spans{receiver="otlp",transport="${transport}"}`);
    expect(accepted('http')).toBe(batchCount * spansPerBatch * copies.filter((kind) => kind !== 'grpc').length);
    expect(accepted('grpc')).toBe(batchCount * spansPerBatch * copies.filter((kind) => kind === 'grpc').length);
    expect(metrics.get('otelcol_processor_incoming_items{processor="genai_chargeback",otel_signal="traces"}')).toBe(batchCount * spansPerBatch * copies.length);
    expect(metrics.get('otelcol_processor_outgoing_items{processor="genai_chargeback",otel_signal="traces"}')).toBe(batchCount * spansPerBatch * copies.length);
    expect(metrics.get('otelcol_exporter_queue_size{exporter="duckdb",data_type="traces"}')).toBe(0);

    const ready = await fetch(`${processor.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { shutdown: 'ok', memory: 'ok', database: 'ok', storage: 'ok' } });

    expect(await processor.stop('SIGTERM')).toBe(0);
    const ledger = await readLedger(processor.dbPath);
    expect(ledger.rows).toBe(calls);
    expect(ledger.distinct).toBe(calls);
    expect(ledger.costNanos).toBe(batches.reduce((sum, batch) => sum + batch.costNanos, 0n));
  });
});
