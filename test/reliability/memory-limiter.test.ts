import { ExportResultCode } from '@opentelemetry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLimitSchema } from '../../processor/src/ops/memory-limit-config.js';
import { MemoryLimiter } from '../../processor/src/ops/memory-limiter.js';
import { RetryableError } from '../../processor/src/pipeline/trace-sink.js';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { callBatch, exportWith, makeExporter, scrapeMetrics, tempDir, writeConfig } from './support.js';

const mib = 1024 * 1024;

describe('memory limiter', () => {
  it('refuses above the soft limit with a retryable 503 until usage falls below it again', () => {
    let used = 50 * mib;
    let collections = 0;
    const limiter = new MemoryLimiter({
      limitBytes: 100 * mib,
      spikeBytes: 20 * mib,
      checkIntervalMs: 1_000,
      sample: () => used,
      collectGarbage: () => collections++,
    });
    limiter.check(0);
    expect(() => limiter.admit()).not.toThrow();

    used = 81 * mib;
    limiter.check(10_000);
    expect(limiter.isRefusing).toBe(true);
    expect(collections).toBe(1);
    let refusal: unknown;
    try {
      limiter.admit();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RetryableError);
    expect(refusal).toMatchObject({ httpStatus: 503, retryAfterSeconds: 2, message: 'memory limit reached (81 MiB in use, soft limit 80 MiB); retry later' });

    // At most one forced collection a second, however often it is checked.
    limiter.check(10_500);
    expect(collections).toBe(1);
    used = 79 * mib;
    limiter.check(11_000);
    expect(limiter.isRefusing).toBe(false);
    expect(() => limiter.admit()).not.toThrow();
    expect(limiter.state()).toEqual({ limitBytes: 100 * mib, softLimitBytes: 80 * mib, usedBytes: 79 * mib, refusing: false, refusedRequests: 1, forcedCollections: 1 });
  });

  it('does not refuse when a forced collection brings usage back under the soft limit', () => {
    let used = 90 * mib;
    const limiter = new MemoryLimiter({ limitBytes: 100 * mib, spikeBytes: 20 * mib, checkIntervalMs: 1_000, sample: () => used, collectGarbage: () => (used = 40 * mib) });
    limiter.check(5_000);
    expect(limiter.isRefusing).toBe(false);
  });

  it('defaults to 80% of the V8 heap limit with a 20% spike allowance, and 0 turns it off', () => {
    expect(MemoryLimiter.fromConfig(memoryLimitSchema.parse({ limit_mib: 0 }))).toBeNull();
    const limiter = MemoryLimiter.fromConfig(memoryLimitSchema.parse({ limit_mib: 500, check_interval: '250ms' }));
    expect(limiter?.state()).toMatchObject({ limitBytes: 500 * mib, softLimitBytes: 400 * mib });
    expect(MemoryLimiter.fromConfig(memoryLimitSchema.parse({}))?.state().limitBytes).toBeGreaterThan(100 * mib);
    expect(memoryLimitSchema.safeParse({ limit_mib: 100, spike_limit_mib: 100 }).error?.issues[0]?.message).toBe('spike_limit_mib must be below limit_mib');
  });

  describe('in the running processor', () => {
    let processor: ProcessorProcess | undefined;
    afterAll(async () => {
      await processor?.stop('SIGKILL');
    });

    it('answers 503 with Retry-After (gRPC UNAVAILABLE), reports not ready, and stores nothing while over the limit', async () => {
      const dir = tempDir('gc-memory-');
      // A limit below what any Node process uses: every request is refused.
      processor = await startProcessor({ args: ['--config', writeConfig(dir, { memory_limit: { limit_mib: 4, spike_limit_mib: 1, check_interval: '100ms' } })] });
      const batch = callBatch(9, 3);
      const response = await fetch(`${processor.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      const grpc = await exportWith(makeExporter('grpc', { httpUrl: processor.httpUrl, grpcAddress: processor.grpcAddress }), batch.spans);
      expect(grpc.code).toBe(ExportResultCode.FAILED);
      expect((grpc.error as { code?: number }).code).toBe(14);

      const ready = await fetch(`${processor.httpUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { shutdown: 'ok', memory: 'over the memory limit: refusing new data', database: 'ok', storage: 'ok' } });
      const metrics = await scrapeMetrics(processor.httpUrl);
      expect(metrics.get('genai_chargeback_memory_limiter_refusing')).toBe(1);
      expect(metrics.get('genai_chargeback_memory_limiter_refused_requests_total')).toBe(2);
      expect(metrics.get('genai_chargeback_memory_limit_bytes')).toBe(4 * mib);
      expect(metrics.get('genai_chargeback_calls_received_total')).toBe(0);
      expect(metrics.get('otelcol_processor_incoming_items{processor="genai_chargeback",otel_signal="traces"}')).toBe(0);
    });
  });
});
