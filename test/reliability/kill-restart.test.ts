import { ExportResultCode } from '@opentelemetry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { readdirSync } from 'node:fs';
import { callBatch, exportWith, freePort, makeExporter, prng, readLedger, sleep, tempDir, writeConfig, type CallBatch, type ExporterKind } from './support.js';

// Kill -9 under load: real exporters send a known set of calls while the processor is killed with SIGKILL and
// restarted on the same ports and DuckDB file several times. The HTTP exporters retry dropped connections and
// 503s themselves (5 retries, 1 s → 5 s backoff), and so does the gRPC exporter as the instrumentation's preload
// builds it (the exporter alone, 0.223, never retries). An export that still fails is sent again after a pause,
// as a Collector's retry_on_failure queue would.

const batchesPerExporter = 120;
const callsPerBatch = 20;
const kills = 4;

// Both acknowledgement modes: after the DuckDB commit, and after the journal's fsync (replayed at each restart).
describe.each(['commit', 'journal'] as const)('kill -9 under load, storage.ack: %s', (ack) => {
  let processor: ProcessorProcess | undefined;
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('stores every call exactly once, the cost total exact to the nanodollar, across repeated SIGKILLs', async () => {
    const dir = tempDir('gc-kill-');
    const dbPath = `${dir}/ledger.duckdb`;
    const config = writeConfig(dir, { storage: { ack } });
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const start = () => startProcessor({ dbPath, args: ['--config', config, '--http-port', String(httpPort), '--grpc-port', String(grpcPort)] });
    processor = await start();
    const target = { httpUrl: processor.httpUrl, grpcAddress: processor.grpcAddress, timeoutMillis: 30_000, retryGrpc: true };

    const kinds: ExporterKind[] = ['proto', 'json', 'grpc'];
    const batches = new Map<ExporterKind, CallBatch[]>(
      kinds.map((kind, k) => [kind, Array.from({ length: batchesPerExporter }, (_, b) => callBatch(k * 1_000 + b, callsPerBatch))]),
    );
    const grpcFailures: string[] = [];
    const figures = { sent: 0, exportsAcknowledged: 0, exportsFailed: { proto: 0, json: 0, grpc: 0 }, journalRowsReplayed: 0 };

    let loadDone = false;
    const load = Promise.all(
      kinds.map(async (kind) => {
        const exporter = makeExporter(kind, target);
        for (const batch of batches.get(kind) ?? []) {
          figures.sent += batch.callIds.length;
          // A failed export may have been stored before the connection dropped: the repeat must not double it.
          for (;;) {
            const result = await exportWith(exporter, batch.spans);
            if (result.code === ExportResultCode.SUCCESS) break;
            figures.exportsFailed[kind]++;
            if (kind === 'grpc') grpcFailures.push(String((result.error as { code?: unknown } | undefined)?.code ?? result.error?.message));
            await sleep(250);
          }
          figures.exportsAcknowledged++;
          await sleep(80);
        }
        await exporter.shutdown();
      }),
    ).finally(() => {
      loadDone = true;
    });

    const random = prng(7);
    let killed = 0;
    while (killed < kills && !loadDone) {
      await sleep(1_200 + random() * 1_500);
      if (loadDone) break;
      const exited = processor.stop('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      killed++;
      processor = await start();
      for (const entry of processor.logs) {
        if (entry.msg === 'committed acknowledged rows from the ledger journal') figures.journalRowsReplayed += Number(entry.inserted);
      }
    }
    await load;
    expect(await processor.stop('SIGTERM')).toBe(0);

    const expectedIds = [...batches.values()].flat().flatMap((batch) => batch.callIds);
    const expectedCost = [...batches.values()].flat().reduce((sum, batch) => sum + batch.costNanos, 0n);
    const ledger = await readLedger(dbPath);
    const lost = expectedIds.filter((id) => !ledger.ids.has(id)).length;
    const result = { ...figures, grpcFailures, kills: killed, stored: ledger.rows, duplicates: ledger.rows - ledger.distinct, lost, costUsd: Number(ledger.costNanos) / 1e9, expectedCostUsd: Number(expectedCost) / 1e9 };
    console.log(`kill -9 figures: ${JSON.stringify(result)}`);

    expect(killed).toBe(kills);
    expect(figures.sent).toBe(kinds.length * batchesPerExporter * callsPerBatch);
    expect(lost).toBe(0);
    expect(ledger.rows).toBe(expectedIds.length);
    expect(ledger.distinct).toBe(expectedIds.length);
    expect(ledger.costNanos).toBe(expectedCost);
    if (ack === 'journal') expect(readdirSync(`${dbPath}.journal`)).toEqual([]);
  }, 150_000);
});
