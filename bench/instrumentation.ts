/**
 * `npm run bench` part: latency the instrumentation adds to a model call, on the calling thread, against the fake
 * provider. The same CommonJS app runs uninstrumented, under this package's preload, and under the peers
 * (@opentelemetry/instrumentation-openai, OpenLLMetry's @traceloop/instrumentation-openai) where they install; runs
 * are interleaved over several rounds and pooled. Added latency = percentile with instrumentation − the same
 * percentile without. Every instrumented variant exports its spans over OTLP/protobuf to a local sink.
 *
 * Two tables: `network` (every call goes to the fake provider over HTTP: what an app sees, with the network's and a
 * shared 2-core machine's jitter of ±100 µs and more) and `replay` (the fake provider's responses replayed in-process
 * through the SDK's `fetch` option: the SDK and the instrumentation alone, precise to a few µs).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startFakeProvider } from '../processor/src/demo/fake-provider.js';
import { percentile, printTable } from './table.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? '3');
const CALLS = process.env['BENCH_CALLS'] ?? '1000';
const REPLAY_CALLS = process.env['BENCH_REPLAY_CALLS'] ?? '4000';
const WARMUP = process.env['BENCH_WARMUP'] ?? '200';
const KINDS = ['plain', 'stream'] as const;
const TRANSPORTS = ['network', 'replay'] as const;
const OURS = '@genai-chargeback/instrumentation';
const BASELINE = 'uninstrumented';
const TARGET_P50_US = 50;

const app = fileURLToPath(new URL('./instrumentation-app.cjs', import.meta.url));
const peerPreload = fileURLToPath(new URL('./instrumentation-peer.cjs', import.meta.url));
const resolveFromRoot = createRequire(new URL('../package.json', import.meta.url));

interface Variant {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

interface Sample {
  latenciesMs: number[];
  cpuUsPerCall: number;
}

type Transport = (typeof TRANSPORTS)[number];
type Kind = (typeof KINDS)[number];
type RunResult = Record<Transport, Record<Kind, Sample>>;
/** Per variant, per "transport kind": all latencies (ms) and each round's CPU µs per call. */
type Pool = Map<string, Record<string, { latencies: number[]; cpu: number[] }>>;

function installed(module: string): boolean {
  try {
    resolveFromRoot.resolve(module);
    return true;
  } catch {
    return false;
  }
}

function variants(): { run: Variant[]; missing: string[] } {
  const run: Variant[] = [
    { name: BASELINE, args: [] },
    { name: OURS, args: ['--import', '@genai-chargeback/instrumentation/register'] },
  ];
  const missing: string[] = [];
  for (const { name, peer } of [
    { name: '@opentelemetry/instrumentation-openai', peer: 'otel-openai' },
    { name: '@traceloop/instrumentation-openai', peer: 'openllmetry' },
  ]) {
    if (installed(name)) run.push({ name, args: ['--require', peerPreload], env: { PEER: peer } });
    else missing.push(name);
  }
  return { run, missing };
}

/** An OTLP endpoint that accepts and discards, so exporting costs the app what it costs in production. */
async function startSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function runVariant(variant: Variant, env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...variant.args, app], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', CALLS, REPLAY_CALLS, WARMUP, ...env, ...variant.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((text) => text.startsWith('{'));
      if (code !== 0 || line === undefined) reject(new Error(`${variant.name} exited with ${code}`));
      else resolve(JSON.parse(line) as RunResult);
    });
  });
}

async function measure(run: Variant[]): Promise<Pool> {
  const fake = await startFakeProvider();
  const sink = await startSink();
  const env = { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_NODE_RESOURCE_DETECTORS: 'env,process', OTEL_SERVICE_NAME: 'bench' };
  const pool: Pool = new Map();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // A different order each round, so no variant always runs right after another (drift, neighbours' load).
      for (const variant of run.map((_, i) => run[(i + round - 1) % run.length]!)) {
        process.stderr.write(`instrumentation bench: round ${round}/${ROUNDS}, ${variant.name}\n`);
        const result = await runVariant(variant, env);
        const entry = pool.get(variant.name) ?? {};
        for (const transport of TRANSPORTS) {
          for (const kind of KINDS) {
            const slot = (entry[`${transport} ${kind}`] ??= { latencies: [], cpu: [] });
            slot.latencies.push(...result[transport][kind].latenciesMs);
            slot.cpu.push(result[transport][kind].cpuUsPerCall);
          }
        }
        pool.set(variant.name, entry);
      }
    }
  } finally {
    await fake.close();
    sink.server.closeAllConnections();
    sink.server.close();
  }
  return pool;
}

function tableFor(transport: Transport, run: Variant[], pool: Pool): { rows: Array<Record<string, string>>; addedP50: Record<string, number> } {
  const rows: Array<Record<string, string>> = [];
  const addedP50: Record<string, number> = {};
  for (const kind of KINDS) {
    const base = pool.get(BASELINE)![`${transport} ${kind}`]!;
    const baseP50 = percentile(base.latencies, 50);
    const baseP99 = percentile(base.latencies, 99);
    const baseCpu = mean(base.cpu);
    for (const variant of run) {
      const slot = pool.get(variant.name)![`${transport} ${kind}`]!;
      const p50 = percentile(slot.latencies, 50);
      const p99 = percentile(slot.latencies, 99);
      const cpu = mean(slot.cpu);
      const isBase = variant.name === BASELINE;
      if (kind === 'plain' && !isBase) addedP50[variant.name] = (p50 - baseP50) * 1000;
      rows.push({
        call: kind,
        instrumentation: variant.name,
        calls: String(slot.latencies.length),
        'p50 µs': fmt(p50 * 1000),
        'p99 µs': fmt(p99 * 1000),
        'added p50 µs': isBase ? '' : fmt((p50 - baseP50) * 1000),
        'added p99 µs': isBase ? '' : fmt((p99 - baseP99) * 1000),
        'CPU µs/call': fmt(cpu),
        'added CPU µs/call': isBase ? '' : fmt(cpu - baseCpu),
      });
    }
  }
  return { rows, addedP50 };
}

async function main(): Promise<void> {
  const { run, missing } = variants();
  const pool = await measure(run);
  const conditions = `Node ${process.version}, ${ROUNDS} interleaved rounds, ${WARMUP} warm-up calls, sequential calls from one CommonJS app`;
  const verdicts: string[] = [];
  for (const transport of TRANSPORTS) {
    const { rows, addedP50 } = tableFor(transport, run, pool);
    printTable(
      transport === 'network'
        ? `Instrumentation, network: ${CALLS} calls a round to the fake provider over HTTP on 127.0.0.1 (${conditions})`
        : `Instrumentation, replay: ${REPLAY_CALLS} calls a round, the fake provider's responses replayed in-process (${conditions})`,
      rows,
    );
    const peers = Object.entries(addedP50).filter(([name]) => name !== OURS);
    const bestPeer = peers.length > 0 ? `, best peer ${fmt(Math.min(...peers.map(([, value]) => value)))} µs` : '';
    verdicts.push(`${transport}: ours ${fmt(addedP50[OURS] ?? Number.NaN)} µs${bestPeer}`);
  }
  console.log('\nEvery instrumented variant: batch span processor, OTLP/protobuf exporter to a local sink, message content capture off.');
  if (missing.length > 0) console.log(`Not installed here, not measured: ${missing.join(', ')}.`);
  console.log(`Target: plain-call added p50 ≤ ${TARGET_P50_US} µs and no worse than the best peer. Measured: ${verdicts.join('; ')}.`);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(0) : '-';
}

await main();
