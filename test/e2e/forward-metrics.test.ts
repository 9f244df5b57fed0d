import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { startDownstream, type Downstream } from '../forward/downstream.js';
import { scrapeMetrics } from '../reliability/support.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';

describe('/metrics of a processor that forwards', () => {
  let processor: ProcessorProcess | undefined;
  let downstream: Downstream | undefined;
  afterAll(async () => {
    await processor?.stop('SIGKILL');
    await downstream?.close();
  });

  it("shows each forwarding exporter's counters beside the ledger's queue, under the Collector's names", async () => {
    downstream = await startDownstream();
    const dir = mkdtempSync(join(tmpdir(), 'gc-fwd-metrics-'));
    writeFileSync(join(dir, 'config.yaml'), `forward:\n  - name: tempo\n    endpoint: ${downstream.httpUrl}\n    protocol: http/protobuf\n`);
    processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb'), args: ['--config', join(dir, 'config.yaml')] });

    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tracer = provider.getTracer('e2e');
    for (let i = 0; i < 7; i++) tracer.startSpan(`span ${i}`).end();
    const exporter = new OTLPTraceExporter({ url: `${processor.httpUrl}/v1/traces` });
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(memory.getFinishedSpans(), resolve));
    await exporter.shutdown();
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    await downstream.waitForSpans(7);

    const deadline = Date.now() + 5_000;
    let metrics = await scrapeMetrics(processor.httpUrl);
    while (metrics.get('otelcol_exporter_sent_spans{exporter="tempo"}') !== 7 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = await scrapeMetrics(processor.httpUrl);
    }
    expect(metrics.get('otelcol_exporter_sent_spans{exporter="tempo"}')).toBe(7);
    expect(metrics.get('otelcol_exporter_send_failed_spans{exporter="tempo"}')).toBe(0);
    expect(metrics.get('otelcol_exporter_queue_size{exporter="tempo",data_type="traces"}')).toBe(0);
    expect(metrics.get('otelcol_exporter_queue_capacity{exporter="duckdb",data_type="traces"}')).toBe(200_000);
  });
});
