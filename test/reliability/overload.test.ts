import { ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { callBatch, exportWith, makeExporter, memoryOf, readLedger, scrapeMetrics, sleep, tempDir, writeConfig, type CallBatch, type ExporterKind } from './support.js';

// Overload: more clients, sending bigger batches at once, than a deliberately small write queue holds. Clients
// are told 429 + Retry-After, back off and retry; once the load has passed, every call is in the ledger.

const memoryLimitMib = 256;
const mib = 1024 * 1024;

describe('overload', () => {
  let processor: ProcessorProcess | undefined;
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('answers 429 with Retry-After, stays under the memory limit, and stores every retried call', async () => {
    const dir = tempDir('gc-overload-');
    const config = writeConfig(dir, { storage: { max_queued_spans: 300 }, memory_limit: { limit_mib: memoryLimitMib, check_interval: '100ms' } });
    processor = await startProcessor({ args: ['--config', config] });
    const pid = processor.child.pid as number;
    const target = { httpUrl: processor.httpUrl, grpcAddress: processor.grpcAddress, timeoutMillis: 30_000, retryGrpc: true };

    const clients: Array<ExporterKind | 'raw'> = ['proto', 'proto', 'json', 'json', 'grpc', 'grpc', 'raw', 'raw'];
    const work = clients.map((_, c) => Array.from({ length: 8 }, (__, b) => callBatch(c * 100 + b, 200)));
    const refusals: Array<{ status: number; retryAfter: string | null }> = [];
    const figures = { failedExports: { proto: 0, json: 0, grpc: 0 } };

    // Raw clients behave like the exporters but show what they were answered.
    const rawClient = async (batches: CallBatch[]) => {
      for (const batch of batches) {
        const body = ProtobufTraceSerializer.serializeRequest(batch.spans) as Uint8Array;
        for (;;) {
          const response = await fetch(`${target.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
          await response.arrayBuffer();
          if (response.ok) break;
          refusals.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
          await sleep(Number(response.headers.get('retry-after') ?? 1) * 1_000);
        }
      }
    };
    const exporterClient = async (kind: ExporterKind, batches: CallBatch[]) => {
      const exporter = makeExporter(kind, target);
      for (const batch of batches) {
        // The exporters honour Retry-After (RetryInfo for gRPC) themselves; one that ran out of retries sends again.
        while ((await exportWith(exporter, batch.spans)).code !== ExportResultCode.SUCCESS) {
          figures.failedExports[kind]++;
          await sleep(1_000);
        }
      }
      await exporter.shutdown();
    };

    let sampling = true;
    let peakLimiterBytes = 0;
    const sampler = (async () => {
      while (sampling) {
        const metrics = await scrapeMetrics(target.httpUrl);
        peakLimiterBytes = Math.max(peakLimiterBytes, metrics.get('genai_chargeback_memory_used_bytes') ?? 0);
        await sleep(100);
      }
    })();
    const started = Date.now();
    await Promise.all(clients.map((kind, c) => (kind === 'raw' ? rawClient(work[c]!) : exporterClient(kind, work[c]!))));
    const elapsedMs = Date.now() - started;
    sampling = false;
    await sampler;

    const metrics = await scrapeMetrics(target.httpUrl);
    const memory = memoryOf(pid);
    expect(await processor.stop('SIGTERM')).toBe(0);
    const ledger = await readLedger(processor.dbPath);
    const expectedCalls = work.flat().reduce((sum, batch) => sum + batch.callIds.length, 0);
    const refusedSpans = ['http', 'grpc'].map((t) => metrics.get(`otelcol_receiver_refused_spans{receiver="otlp",transport="${t}"}`) ?? 0);
    console.log(
      `overload figures: ${JSON.stringify({ calls: expectedCalls, elapsedMs, rawRefusals: refusals.length, refusedSpans, failedExports: figures.failedExports, peakLimiterMiB: Math.round(peakLimiterBytes / mib), peakRssMiB: Math.round(memory.peak / mib) })}`,
    );

    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect([429, 503]).toContain(refusal.status);
      expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(refusedSpans[0]! + refusedSpans[1]!).toBeGreaterThan(0);
    expect(peakLimiterBytes).toBeGreaterThan(0);
    expect(peakLimiterBytes).toBeLessThan(memoryLimitMib * mib);
    expect(ledger.rows).toBe(expectedCalls);
    expect(ledger.distinct).toBe(expectedCalls);
    expect(ledger.costNanos).toBe(work.flat().reduce((sum, batch) => sum + batch.costNanos, 0n));
  }, 120_000);
});
