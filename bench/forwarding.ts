/**
 * Forwarding benchmark (issue 9): ingest throughput and latency of one processor process over OTLP/HTTP
 * protobuf, forwarding off versus on (one HTTP protobuf exporter to a downstream receiver), same run, same
 * payloads, plus the decoders' cost of keeping each span's wire form (what forwarding needs).
 * Run: node --import tsx bench/forwarding.ts   (BENCH_FORWARD_REQUESTS, BENCH_CLIENTS to change the load)
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeTracesProtobuf } from '../processor/src/otlp/index.js';
import { makeProtobufRequests } from './otlp-payloads.js';
import { otlpLoad } from './otlp-load.js';
import { percentile, printTable } from './table.js';

const spansPerRequest = 500;
const genAiEvery = 10;
const requestCount = Number(process.env.BENCH_FORWARD_REQUESTS ?? 500);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const processorScript = fileURLToPath(new URL('./forwarding-processor.ts', import.meta.url));
const load = otlpLoad(clients);

interface Processor {
  url: string;
  stop(): Promise<unknown>;
}

async function startProcessor(forward: unknown[]): Promise<Processor> {
  const dbPath = join(tmpdir(), `gc-bench-forward-${process.pid}.duckdb`);
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}.wal`, { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', processorScript, dbPath, JSON.stringify(forward)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const messages: Array<Record<string, unknown>> = [];
  let wake: (() => void) | null = null;
  lines.on('line', (line) => {
    messages.push(JSON.parse(line) as Record<string, unknown>);
    wake?.();
  });
  const next = async (key: string) => {
    for (;;) {
      const found = messages.find((m) => key in m);
      if (found !== undefined) return found[key];
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const port = (await next('port')) as number;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const metrics = await next('metrics');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dbPath, { force: true });
      rmSync(`${dbPath}.wal`, { force: true });
      return metrics;
    },
  };
}

/** A downstream that takes every request and answers 200, counting bytes (it does not decode: it stands for a remote backend). */
async function startDownstream(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function decodeRate(bodies: Uint8Array[], keepWire: boolean): number {
  let spans = 0;
  const started = performance.now();
  for (let round = 0; round < 3; round++) for (const body of bodies) spans += decodeTracesProtobuf(body, { keepWire }).spans.length;
  return spans / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  process.stderr.write(`generating ${requestCount} requests of ${spansPerRequest} spans…\n`);
  const warmup = makeProtobufRequests(40, spansPerRequest, genAiEvery, 50_000_000);
  const bodies = makeProtobufRequests(requestCount, spansPerRequest, genAiEvery, 0);
  const downstream = await startDownstream();
  const rows: Array<Record<string, string>> = [];
  const runs = [
    { label: 'forwarding off', forward: [] as unknown[] },
    { label: 'forwarding on (1 × http/protobuf)', forward: [{ name: 'downstream', endpoint: downstream.url, protocol: 'http/protobuf' }] },
  ];
  let baseline = 0;
  for (const run of runs) {
    process.stderr.write(`${run.label}…\n`);
    const processor = await startProcessor(run.forward);
    await load.saturate(processor.url, warmup);
    const measured = await load.saturate(processor.url, bodies);
    const result = { ...measured, spansPerSecond: (bodies.length * spansPerRequest) / measured.seconds };
    const metrics = (await processor.stop()) as Array<Record<string, number>>;
    baseline ||= result.spansPerSecond;
    const sent = metrics[0]?.otelcol_exporter_sent_spans;
    rows.push({
      run: run.label,
      'spans/s': Math.round(result.spansPerSecond).toLocaleString('en-US'),
      'vs off': `${((result.spansPerSecond / baseline - 1) * 100).toFixed(1)}%`,
      'p50 ms': percentile(result.latencies, 50).toFixed(1),
      'p99 ms': percentile(result.latencies, 99).toFixed(1),
      'retried (429, 503, reset)': String(result.refused),
      'spans forwarded': sent === undefined ? '-' : sent.toLocaleString('en-US'),
      'dropped / failed': sent === undefined ? '-' : `${metrics[0]!.otelcol_exporter_enqueue_failed_spans} / ${metrics[0]!.otelcol_exporter_send_failed_spans}`,
    });
  }
  await downstream.close();
  printTable(
    `Ingest with forwarding off vs on: OTLP/HTTP protobuf, ${requestCount} requests × ${spansPerRequest} spans (1 in ${genAiEvery} a GenAI call), ` +
      `${clients} concurrent clients, processor in its own process (DuckDB ledger + roll-up), downstream in the load generator's process; ` +
      `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    rows,
  );
  const sample = bodies.slice(0, 100);
  decodeRate(sample, false);
  const [off, on] = [decodeRate(sample, false), decodeRate(sample, true)];
  printTable('Protobuf decoding, keepWire off vs on (the wire form forwarding re-sends), same 100 requests × 3', [
    { decoder: 'keepWire off', 'spans/s': Math.round(off).toLocaleString('en-US'), 'vs off': '' },
    { decoder: 'keepWire on', 'spans/s': Math.round(on).toLocaleString('en-US'), 'vs off': `${((on / off - 1) * 100).toFixed(1)}%` },
  ]);
  load.close();
}

await main();
