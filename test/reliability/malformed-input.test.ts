import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { malformedCorpus, type BadRequest } from './malformed-corpus.js';
import { callBatch, exportWith, makeExporter, memoryOf, prng, readLedger, scrapeMetrics, sleep, tempDir, writeConfig } from './support.js';

// Malformed input: a seeded corpus of 1,000+ bad requests (truncated and bit-flipped protobuf, wrong wire types,
// JSON with wrong types, invalid hex ids, huge strings, deep nesting, gzip bombs, bad gzip, hand-written cases)
// sent to one running processor, seven times over. Every one is answered 4xx, the process stays up, its memory stays at
// its working size, and nothing of any of them reaches the ledger.

const bodyLimitBytes = 1024 * 1024;
const mib = 1024 * 1024;

/** Each body as one OTLP/gRPC Export call, 8 at a time, raw bytes as the exporter sends them; the status code of each. */
async function exportRawGrpc(address: string, bodies: Uint8Array[]): Promise<Array<status | 'ok'>> {
  const client = new Client(address, credentials.createInsecure());
  const codes: Array<status | 'ok'> = new Array(bodies.length);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const index = next++;
          codes[index] = await new Promise((resolve) =>
            client.makeUnaryRequest(
              '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
              (bytes: Buffer) => bytes,
              (bytes: Buffer) => bytes,
              Buffer.from(bodies[index]!),
              (error: ServiceError | null) => resolve(error === null ? 'ok' : error.code),
            ),
          );
        }
      }),
    );
  } finally {
    client.close();
  }
  return codes;
}

describe('malformed input', () => {
  let processor: ProcessorProcess | undefined;
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('answers every bad request 4xx, stays up, stays at its working memory size, and stores nothing', async () => {
    const corpus = malformedCorpus(prng(20_251_122), { seed: 20_251_122, bodyLimitBytes });
    expect(corpus.length).toBeGreaterThanOrEqual(1_000);

    const dir = tempDir('gc-fuzz-');
    processor = await startProcessor({ args: ['--config', writeConfig(dir, { receivers: { http: { body_limit_mib: 1 } } })] });
    const pid = processor.child.pid as number;
    const warmUp = Array.from({ length: 5 }, (_, i) => callBatch(70 + i, 10));
    const exporter = makeExporter('proto', { httpUrl: processor.httpUrl, grpcAddress: processor.grpcAddress });
    for (const batch of warmUp) expect((await exportWith(exporter, batch.spans)).code).toBe(ExportResultCode.SUCCESS);
    const storedBefore = warmUp.length * 10;

    const send = async (request: BadRequest) => {
      const headers: Record<string, string> = {};
      if (request.contentType !== '') headers['content-type'] = request.contentType;
      if (request.contentEncoding !== undefined) headers['content-encoding'] = request.contentEncoding;
      try {
        const response = await fetch(`${processor!.httpUrl}/v1/traces`, { method: 'POST', headers, body: request.body });
        await response.arrayBuffer();
        return response.status;
      } catch (error) {
        // Counted as a failure below: every request must get an answer.
        return `no answer: ${String((error as Error).cause ?? error)}`;
      }
    };
    const sendAll = async (requests: BadRequest[]) => {
      const statuses: Array<number | string> = new Array(requests.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < requests.length) {
            const index = next++;
            statuses[index] = await send(requests[index]!);
          }
        }),
      );
      return statuses;
    };
    // Working size first: two passes of the whole corpus grow the heap and the allocator's pools. RSS then swings
    // by ±20 MiB from pass to pass as V8 collects lazily (measured), so the baseline is the highest of the next
    // three passes; after two more, memory must come back to it: a leak keeps climbing, pass after pass.
    const before = memoryOf(pid).rss;
    const firstPass = await sendAll(corpus);
    await sendAll(corpus);
    const started = Date.now();
    const statuses = await sendAll(corpus);
    const elapsedMs = Date.now() - started;
    expect(statuses).toEqual(firstPass);
    const rssAfterPass: number[] = [];
    for (let pass = 0; pass < 4; pass++) {
      await sleep(1_000);
      rssAfterPass.push(memoryOf(pid).rss);
      expect(await sendAll(corpus)).toEqual(firstPass);
    }
    const byCategory = new Map<string, Map<number | string, number>>();
    corpus.forEach((request, i) => {
      const counts = byCategory.get(request.category) ?? new Map<number | string, number>();
      counts.set(statuses[i]!, (counts.get(statuses[i]!) ?? 0) + 1);
      byCategory.set(request.category, counts);
    });
    const summary = Object.fromEntries([...byCategory].map(([category, counts]) => [category, Object.fromEntries(counts)]));

    const notClientErrors = corpus.map((request, i) => ({ category: request.category, status: statuses[i]! })).filter((r) => typeof r.status !== 'number' || r.status < 400 || r.status >= 500);
    expect(notClientErrors).toEqual([]);

    // Once the load stops, memory must come back to the baseline (V8 and the allocator give pages back lazily, so
    // it may take a few seconds); a leak never does.
    const baseline = Math.max(...rssAfterPass.slice(0, 3));
    // Allocator pages come and go in chunks (measured swings up to 25 MiB between passes of the same corpus).
    const slack = 32 * mib;
    let after = memoryOf(pid);
    for (let waited = 0; waited < 15_000 && after.rss - baseline >= slack; waited += 500) {
      await sleep(500);
      after = memoryOf(pid);
    }
    rssAfterPass.push(after.rss);
    console.log(`malformed input figures: ${JSON.stringify({ requests: corpus.length, elapsedMs, startRssMiB: +(before / mib).toFixed(1), rssAfterPassesMiB: rssAfterPass.map((rss) => +(rss / mib).toFixed(1)), peakRssMiB: +(after.peak / mib).toFixed(1), byCategory: summary })}`);
    expect(processor.child.exitCode).toBeNull();
    expect((await fetch(`${processor.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${processor.httpUrl}/readyz`)).status).toBe(200);
    expect(after.rss - baseline).toBeLessThan(slack);

    // The gRPC receiver shares the decoder: the corpus's uncompressed protobuf requests, sent as Export calls, are
    // refused with INVALID_ARGUMENT (RESOURCE_EXHAUSTED past the size limit), never a code a client would retry.
    const grpcBodies = corpus.filter((request) => request.contentType === 'application/x-protobuf' && request.contentEncoding === undefined).map((request) => request.body);
    expect(grpcBodies.length).toBeGreaterThanOrEqual(450);
    const grpcCodes = await exportRawGrpc(processor.grpcAddress, grpcBodies);
    const codeCounts = Object.fromEntries([...new Set(grpcCodes)].map((code) => [code, grpcCodes.filter((c) => c === code).length]));
    console.log(`malformed input over gRPC: ${JSON.stringify({ requests: grpcBodies.length, codes: codeCounts })}`);
    expect(grpcCodes.filter((code) => code !== status.INVALID_ARGUMENT && code !== status.RESOURCE_EXHAUSTED)).toEqual([]);
    expect(processor.child.exitCode).toBeNull();

    const metrics = await scrapeMetrics(processor.httpUrl);
    expect(metrics.get('genai_chargeback_calls_received_total')).toBe(storedBefore);
    expect(await processor.stop('SIGTERM')).toBe(0);
    const ledger = await readLedger(processor.dbPath);
    expect(ledger.rows).toBe(storedBefore);
  }, 120_000);
});
