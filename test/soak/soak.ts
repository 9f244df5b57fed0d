/**
 * Soak: the built processor under a steady 80% of its measured capacity for SOAK_WARMUP_MINUTES (default 5) and
 * then SOAK_MINUTES (default 10) more, sampling its RSS and the exporters' latency. Prints the figures as JSON and
 * exits 1 if RSS trends upward over the measured minutes by more than the ledger's own growth explains, p99 latency
 * drifts, or a call is missing from the ledger or stored twice.
 * Not part of `npm test`: run `npm run build && npm run test:soak` (SOAK_WARMUP_MINUTES=1 SOAK_MINUTES=2 for a
 * short run).
 *
 * The warm-up is not measured because bounded memory fills during it: the recent call keys (up to 1M), DuckDB's
 * buffer pool (up to storage.memory_limit_mib), the trace buffer, V8's old generation and malloc's arenas settle
 * at their working size. Growth after that, beyond what the ledger's own metadata takes (below), is what a leak
 * looks like.
 *
 * Requests are OTLP/HTTP protobuf of 100 GenAI calls each, every call new (fresh ids, known tokens), sent by
 * a paced open-loop client: the rate does not drop when the processor slows, as real fleets do not.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeTracesProtobuf } from '../../processor/src/otlp/index.js';
import type { DecodedSpan } from '../../processor/src/otlp/types.js';
import { glibcHeapBytes } from '../support/glibc-heap.js';
import { startProcessor } from '../support/processor-process.js';
import { memoryOf, readLedgerTotals, scrapeMetrics, sleep, tempDir, writeConfig } from '../reliability/support.js';

const soakMinutes = Number(process.env.SOAK_MINUTES ?? 10);
const warmupMinutes = Number(process.env.SOAK_WARMUP_MINUTES ?? 5);
const callsPerRequest = 100;
const capacitySeconds = 20;
const mib = 1024 * 1024;
/**
 * What RSS may grow by a stored call. DuckDB keeps each row group's table metadata (segments, block handles,
 * statistics: ~125 KB a row group of 122,880 calls) in glibc's heaps until the database closes, and the ledger
 * grows by every call: `npm run bench` (ledger-memory) measures 1.2–1.4 bytes of heap a call, DuckDB alone. At the
 * soak's rate that is most of a MiB a minute, which is the ledger's size, not a leak.
 */
const ledgerBytesPerCall = 1.5;

let sequence = 0;
const resource = { 'service.name': 'soak-app', 'deployment.environment.name': 'load-test' };

/** One request of fresh calls; ids from a counter, so every call is new to the ledger. */
function nextRequest(): Uint8Array {
  const spans: DecodedSpan[] = [];
  const start = BigInt(Date.now()) * 1_000_000n;
  sequence++;
  // Random like the SDKs' ids: sequential ones share long prefixes, which DuckDB's indexes compress away, and
  // would hide memory kept per trace.
  const trace = randomBytes(16).toString('hex');
  for (let i = 0; i < callsPerRequest; i++) {
    const n = sequence * callsPerRequest + i;
    spans.push({
      resource,
      scopeName: 'soak',
      scopeVersion: '1.0.0',
      traceId: trace,
      spanId: (n + 1).toString(16).padStart(16, '0'),
      parentSpanId: '',
      name: 'chat gpt-4.1',
      kind: 3,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 400_000_000n,
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4.1',
        'gen_ai.usage.input_tokens': 1_000 + (n % 977),
        'gen_ai.usage.output_tokens': 50 + (n % 401),
        'chargeback.team': ['search', 'support', 'growth'][n % 3] as string,
        'user.id': `user-${n % 5_000}`,
      },
      statusCode: 0,
      statusMessage: '',
      links: [],
    });
  }
  return encodeTracesProtobuf(spans);
}

async function send(url: string, body: Uint8Array): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

type Internals =
  | {
      heapUsedMiB: number;
      heapTotalMiB: number;
      externalMiB: number;
      /** What V8 keeps committed per heap space (new, old, large objects, ...): which one grows when heapTotal does. */
      heapSpacesMiB: Record<string, number>;
      /** The writer's tables of recent call keys (in `external`), sized to the keys they hold. */
      recentKeysMiB: number;
      duckdbMiB: Record<string, number>;
    }
  | { scrapeFailed: string };

async function main(): Promise<void> {
  const dir = tempDir('gc-soak-');
  // DuckDB's cache of the growing ledger is part of RSS: capped here (storage.memory_limit_mib). Its table metadata is
  // not (ledgerBytesPerCall).
  const duckdbMemoryMib = Number(process.env.SOAK_DUCKDB_MEMORY_MIB ?? 128);
  // memory_limit is left to its default, 80% of the V8 heap limit set below.
  const config = { storage: { memory_limit_mib: duckdbMemoryMib } };
  // As deployment is documented (processor/src/ops/README.md): glibc's per-thread malloc arenas fragment under
  // DuckDB's threads and grow RSS outside both DuckDB's and V8's accounting, so two arenas. V8 sizes its heap
  // from the machine's memory and lets it swing between ~80 MiB live and ~300 MiB before a full collection;
  // a heap limit keeps the swing (and RSS) bounded. SOAK_NODE_ARGS replaces these flags.
  const nodeArgs = (process.env.SOAK_NODE_ARGS ?? '--max-old-space-size=320').split(' ').filter(Boolean);
  const processor = await startProcessor({ args: ['--config', writeConfig(dir, config)], env: { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' }, nodeArgs });
  const pid = processor.child.pid as number;
  const url = `${processor.httpUrl}/v1/traces`;
  let sentCalls = 0;

  // Capacity: four closed-loop senders as fast as the processor answers.
  const capacityEnds = Date.now() + capacitySeconds * 1_000;
  let measuredCalls = 0;
  let measureFrom = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < capacityEnds) {
        const { status } = await send(url, nextRequest());
        if (status !== 200) throw new Error(`capacity run answered ${status}`);
        sentCalls += callsPerRequest;
        // The first 5 s warm up (JIT, DuckDB); they are not counted.
        if (Date.now() > capacityEnds - (capacitySeconds - 5) * 1_000) {
          measureFrom ||= Date.now();
          measuredCalls += callsPerRequest;
        }
      }
    }),
  );
  const capacity = measuredCalls / ((Date.now() - measureFrom) / 1_000);
  const rate = capacity * 0.8;
  const intervalMs = (callsPerRequest / rate) * 1_000;
  process.stderr.write(`capacity ${Math.round(capacity)} calls/s; soaking at ${Math.round(rate)} calls/s for ${warmupMinutes} + ${soakMinutes} min\n`);

  // Soak: paced open loop, at most 32 requests in flight.
  type Minute = { latencies: number[]; refused: number; rss: number; rssMin: number; glibc: number; internals?: Internals };
  const minutes: Minute[] = [];
  const newMinute = (): Minute => ({ latencies: [], refused: 0, rss: 0, rssMin: 0, glibc: 0 });
  const rssSamples: Array<[number, number]> = [];
  const glibcSamples: Array<[number, number]> = [];
  const soakStart = Date.now();
  const soakEnds = soakStart + (warmupMinutes + soakMinutes) * 60_000;
  let inFlight = 0;
  let skipped = 0;
  const pending = new Set<Promise<void>>();
  // Every second: DuckDB's checkpoints take its memory to its limit for a second or two every ~12 s (a row group's
  // worth of calls), and samples 5 s apart caught those peaks by chance (one run's slope read +0.11 to +1.30 MiB/min
  // by the sampling's phase alone).
  // glibc's heaps alongside: whether a rise is there (C++ allocations: DuckDB's metadata) or elsewhere.
  const sampler = setInterval(() => {
    const at = (Date.now() - soakStart) / 60_000;
    rssSamples.push([at, memoryOf(pid).rss / mib]);
    glibcSamples.push([at, glibcHeapBytes(pid) / mib]);
  }, 1_000);
  // A failed scrape is a figure of the run, not the end of it.
  const internals = (): Promise<Internals> => scrapeInternals().catch((error: unknown) => ({ scrapeFailed: String(error) }));
  const scrapeInternals = async (): Promise<Internals> => {
    const metrics = await scrapeMetrics(processor.httpUrl);
    const at = (name: string) => +((metrics.get(name) ?? NaN) / mib).toFixed(1);
    const labelled = (prefix: string, label: string) =>
      Object.fromEntries(
        [...metrics]
          .filter(([name]) => name.startsWith(`${prefix}{`))
          .map(([name, bytes]) => [new RegExp(`${label}="([^"]+)"`).exec(name)?.[1] ?? name, +(bytes / mib).toFixed(1)]),
      );
    return {
      heapUsedMiB: at('nodejs_heap_size_used_bytes'),
      heapTotalMiB: at('nodejs_heap_size_total_bytes'),
      externalMiB: at('nodejs_external_memory_bytes'),
      heapSpacesMiB: labelled('nodejs_heap_space_size_total_bytes', 'space'),
      recentKeysMiB: at('genai_chargeback_recent_call_keys_bytes'),
      duckdbMiB: labelled('genai_chargeback_duckdb_memory_bytes', 'tag'),
    };
  };
  const internalsAtStart = await internals();
  // What grows, if RSS does: the V8 heap, external buffers or one of DuckDB's memory tags, once a minute.
  const internalsSampler = setInterval(() => {
    const minute = Math.floor((Date.now() - soakStart) / 60_000);
    void internals().then((sample) => (minutes[minute] ??= newMinute()).internals ??= sample);
  }, 60_000);
  for (let due = soakStart; due < soakEnds; due += intervalMs) {
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const minute = Math.floor((Date.now() - soakStart) / 60_000);
    minutes[minute] ??= newMinute();
    if (inFlight >= 32) {
      skipped++;
      continue;
    }
    inFlight++;
    const request = send(url, nextRequest()).then(({ ms, status }) => {
      inFlight--;
      const bucket = minutes[minute]!;
      if (status === 200) {
        bucket.latencies.push(ms);
        sentCalls += callsPerRequest;
      } else bucket.refused++;
    });
    pending.add(request);
    void request.finally(() => pending.delete(request));
  }
  await Promise.all(pending);
  clearInterval(sampler);
  clearInterval(internalsSampler);
  const internalsAtEnd = await internals();
  minutes.forEach((bucket, i) => {
    const inMinute = rssSamples.filter(([t]) => Math.floor(t) === i).map(([, r]) => r);
    bucket.rss = percentile(inMinute, 50);
    bucket.rssMin = Math.min(...inMinute);
    bucket.glibc = percentile(glibcSamples.filter(([t]) => Math.floor(t) === i).map(([, g]) => g), 50);
  });

  const exitCode = await processor.stop('SIGTERM');
  if (exitCode !== 0) throw new Error(`processor exited with ${exitCode}`);
  const ledger = await readLedgerTotals(processor.dbPath);
  rmSync(dirname(processor.dbPath), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const measured = rssSamples.filter(([t]) => t >= warmupMinutes);
  const measuredGlibc = glibcSamples.filter(([t]) => t >= warmupMinutes);
  const measuredCallsPerMinute = (minutes.slice(warmupMinutes).reduce((s, b) => s + b.latencies.length, 0) * callsPerRequest) / soakMinutes;
  const rssSlope = slope(measured);
  const glibcSlope = slope(measuredGlibc);
  const ledgerAllowance = (ledgerBytesPerCall * measuredCallsPerMinute) / mib;
  // pino levels: 40 warn, 50 error. Counted by message and cause, so a run's failures show without reading its log.
  const logged = (level: number) => {
    const counts: Record<string, number> = {};
    for (const entry of processor.logs) {
      if (Number(entry.level) !== level) continue;
      const cause = (entry.err as { message?: unknown } | undefined)?.message;
      const key = cause === undefined ? String(entry.msg) : `${String(entry.msg)}: ${String(cause)}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  const scrapeFailures = minutes.filter((bucket) => bucket.internals !== undefined && 'scrapeFailed' in bucket.internals).length;
  const p99s = minutes.map((bucket) => percentile(bucket.latencies, 99));
  const figures = {
    warmupMinutes,
    soakMinutes,
    capacityCallsPerSecond: Math.round(capacity),
    soakCallsPerSecond: Math.round(rate),
    processorNodeArgs: nodeArgs.join(' '),
    callsSent: sentCalls,
    callsStored: ledger.rows,
    callsDistinct: ledger.distinct,
    clientSkipped: skipped,
    refused: minutes.reduce((s, b) => s + b.refused, 0),
    rssAtWarmupStartMiB: +(rssSamples[0]?.[1] ?? NaN).toFixed(1),
    rssStartMiB: +(measured[0]?.[1] ?? NaN).toFixed(1),
    rssEndMiB: +(measured.at(-1)?.[1] ?? NaN).toFixed(1),
    rssMaxMiB: +Math.max(...measured.map(([, r]) => r)).toFixed(1),
    rssSlopeMiBPerMin: +rssSlope.toFixed(2),
    glibcHeapSlopeMiBPerMin: +glibcSlope.toFixed(2),
    /** Comparable with the ledger-memory bench's bytes a call. */
    glibcHeapBytesPerCall: +((glibcSlope * mib) / measuredCallsPerMinute).toFixed(2),
    ledgerAllowanceMiBPerMin: +ledgerAllowance.toFixed(2),
    rssSlopeBeyondLedgerMiBPerMin: +(rssSlope - ledgerAllowance).toFixed(2),
    processorWarnings: logged(40),
    processorErrors: logged(50),
    scrapeFailures,
    internalsAtStart,
    internalsAtEnd,
    perMinute: minutes.map((bucket, i) => ({ minute: i + 1, requests: bucket.latencies.length, p50Ms: +percentile(bucket.latencies, 50).toFixed(1), p99Ms: +(p99s[i] ?? NaN).toFixed(1), refused: bucket.refused, rssMiB: +bucket.rss.toFixed(1), rssMinMiB: +bucket.rssMin.toFixed(1), glibcHeapMiB: +bucket.glibc.toFixed(1), ...bucket.internals })),
  };
  console.log(JSON.stringify(figures, null, 2));

  const problems: string[] = [];
  if (ledger.rows !== sentCalls) problems.push(`stored ${ledger.rows} of ${sentCalls} acknowledged calls`);
  if (ledger.distinct !== ledger.rows) problems.push(`${ledger.rows - ledger.distinct} calls stored twice`);
  if (Object.keys(figures.processorErrors).length > 0) problems.push(`the processor logged errors: ${JSON.stringify(figures.processorErrors)}`);
  if (scrapeFailures > 0) problems.push(`/metrics failed in ${scrapeFailures} minutes`);
  // Flat: after the warm-up, the least-squares slope of a sample every second under 1 MiB/min beyond the ledger's
  // allowance. At ~100 requests/s a leak of 200 bytes a request alone grows 1.1 MiB/min; one decoded span (about
  // 1 KiB) kept per request would show as 6 MiB/min.
  if (figures.rssSlopeBeyondLedgerMiBPerMin > 1) {
    problems.push(`RSS grows ${figures.rssSlopeMiBPerMin} MiB/min, ${figures.rssSlopeBeyondLedgerMiBPerMin} beyond the ledger's ${figures.ledgerAllowanceMiBPerMin}`);
  }
  const steady = p99s.slice(warmupMinutes, warmupMinutes + soakMinutes).filter((p) => Number.isFinite(p));
  if (steady.length >= 2 && Math.max(...steady) > 3 * percentile(steady, 50)) problems.push(`p99 unstable: ${steady.map((p) => p.toFixed(0)).join(', ')} ms`);
  if (problems.length > 0) {
    console.error(`soak failed: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
