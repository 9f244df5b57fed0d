import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { stagingRoot } from '../../processor/src/store/staging-dir.js';
import { until } from '../support/until.js';
import { callBatch, readLedger, scrapeMetrics, tempDir, writeConfig } from './support.js';

// A directory the writer needs, removed under a running processor (an operator's mistake, a cleaner of /dev/shm or the temp directory).

const running: ProcessorProcess[] = [];
afterEach(async () => {
  for (const processor of running.splice(0)) await processor.stop('SIGKILL');
});

async function post(processor: ProcessorProcess, seed: number): Promise<Response> {
  const body = ProtobufTraceSerializer.serializeRequest(callBatch(seed, 3).spans) as Uint8Array;
  const response = await fetch(`${processor.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await response.arrayBuffer();
  return response;
}

async function readiness(processor: ProcessorProcess): Promise<{ status: number; body: { checks: Record<string, string> } }> {
  const response = await fetch(`${processor.httpUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
}

describe('storage removed under a running processor', () => {
  it('journal mode: refuses with 503 and /readyz names the directory until it is back', async () => {
    const dir = tempDir('gc-journal-removed-');
    const processor = await startProcessor({ dbPath: join(dir, 'ledger.duckdb'), args: ['--config', writeConfig(dir, { storage: { ack: 'journal' } })] });
    running.push(processor);
    const journalDir = `${processor.dbPath}.journal`;
    expect((await post(processor, 1)).status).toBe(200);
    // Committed first: removing a group not yet committed would lose acknowledged calls, which is the point of refusing.
    await until(async () => (await scrapeMetrics(processor.httpUrl)).get('genai_chargeback_calls_stored_total') === 3, 10_000, 50);

    rmSync(journalDir, { recursive: true, force: true });
    const refused = await post(processor, 2);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const notReady = await readiness(processor);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.storage).toBe(`journal directory ${journalDir} not writable (ENOENT)`);
    expect(notReady.body.checks.database).toBe('ok');

    mkdirSync(journalDir);
    expect((await readiness(processor)).status).toBe(200);
    expect((await post(processor, 3)).status).toBe(200);
    await processor.stop();
    const ledger = await readLedger(processor.dbPath);
    expect(ledger.rows).toBe(6);
  });

  it('commit mode: the staging directory is made again and nothing is refused', async () => {
    const processor = await startProcessor();
    running.push(processor);
    expect((await post(processor, 1)).status).toBe(200);
    const prefix = `genai-chargeback-stage-${processor.child.pid}-`;
    const staging = readdirSync(stagingRoot).filter((name) => name.startsWith(prefix));
    expect(staging).toHaveLength(1);

    rmSync(join(stagingRoot, staging[0]!), { recursive: true, force: true });
    expect((await post(processor, 2)).status).toBe(200);
    expect((await readiness(processor)).body.checks.storage).toBe('ok');
    await processor.stop();
    const ledger = await readLedger(processor.dbPath);
    expect(ledger.rows).toBe(6);
  });
});
