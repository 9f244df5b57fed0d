import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Metadata } from '@grpc/grpc-js';
import { SpanKind, context, trace, type Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetryingGrpcExporter } from '../../instrumentation/src/sdk/grpc-retry.js';
import { openDatabase, queriesDir } from '../../processor/src/store/database.js';

/** A port that was free a moment ago (for restarting a processor on the same address). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A new ledger file whose llm_calls refuses the team 'poison' (a CHECK constraint): a row DuckDB refuses over its
 * own data, past every check the processor makes at ingest.
 */
export async function ledgerRefusingPoison(): Promise<string> {
  const path = join(tempDir('gc-refused-'), 'ledger.duckdb');
  const schema = readFileSync(`${queriesDir}schema.sql`, 'utf8').replace(
    '  team                VARCHAR,            -- NULL = unallocated',
    "  team                VARCHAR CHECK (team <> 'poison'),",
  );
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(schema);
  connection.closeSync();
  instance.closeSync();
  return path;
}

/** Writes a config file (JSON is valid YAML) and returns its path. */
export function writeConfig(dir: string, config: unknown, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** $2 input and $8 output per million tokens: the built-in gpt-4.1 price; in nanodollars per token. */
const inputNanosPerToken = 2_000n;
const outputNanosPerToken = 8_000n;

export interface CallBatch {
  spans: ReadableSpan[];
  /** `traceId/spanId` of each GenAI call in the batch. */
  callIds: string[];
  /** Exact expected cost of the batch's calls, in nanodollars. */
  costNanos: bigint;
}

/**
 * One trace as a real SDK records it: a server root span and `calls` gpt-4.1 chat calls whose token counts
 * depend on `seed`, so every batch has its own exact cost.
 */
export function callBatch(seed: number, calls: number, attributes: Attributes = {}, resource: Attributes = {}): CallBatch {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'reliability-app', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('reliability');
  const root = tracer.startSpan('POST /api/answer', { kind: SpanKind.SERVER });
  const parent = trace.setSpan(context.active(), root);
  let costNanos = 0n;
  for (let i = 0; i < calls; i++) {
    const input = 1_000 + ((seed * 7 + i * 13) % 977);
    const output = 50 + ((seed * 3 + i * 11) % 401);
    costNanos += BigInt(input) * inputNanosPerToken + BigInt(output) * outputNanosPerToken;
    tracer
      .startSpan('chat gpt-4.1', {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4.1',
          'gen_ai.usage.input_tokens': input,
          'gen_ai.usage.output_tokens': output,
          'chargeback.team': 'search',
          ...attributes,
        },
      }, parent)
      .end();
  }
  root.end();
  const spans = memory.getFinishedSpans();
  const callIds = spans.filter((span) => span.name !== 'POST /api/answer').map((span) => `${span.spanContext().traceId}/${span.spanContext().spanId}`);
  return { spans, callIds, costNanos };
}

export type ExporterKind = 'proto' | 'json' | 'grpc';

export interface ExporterTarget {
  httpUrl: string;
  grpcAddress: string;
  token?: string;
  /** Each export's whole budget, retries included (the exporters' `timeoutMillis`). */
  timeoutMillis?: number;
  /** gRPC: retried as the instrumentation's preload retries it; the exporter alone (0.223) never retries. */
  retryGrpc?: boolean;
}

/** The real OTLP exporters as applications configure them: protobuf (gzip), JSON, gRPC. */
export function makeExporter(kind: ExporterKind, target: ExporterTarget): SpanExporter {
  const timeoutMillis = target.timeoutMillis ?? 10_000;
  const headers = target.token === undefined ? undefined : { Authorization: `Bearer ${target.token}` };
  if (kind === 'proto') return new ProtoExporter({ url: `${target.httpUrl}/v1/traces`, compression: CompressionAlgorithm.GZIP, timeoutMillis, ...(headers && { headers }) });
  if (kind === 'json') return new JsonExporter({ url: `${target.httpUrl}/v1/traces`, timeoutMillis, ...(headers && { headers }) });
  const metadata = new Metadata();
  if (target.token !== undefined) metadata.set('authorization', `Bearer ${target.token}`);
  const grpc = new GrpcExporter({ url: `http://${target.grpcAddress}`, timeoutMillis, metadata });
  return target.retryGrpc === true ? new RetryingGrpcExporter(grpc, timeoutMillis) : grpc;
}

export function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

export interface LedgerTotals {
  rows: number;
  distinct: number;
  costNanos: bigint;
}

export interface LedgerSummary extends LedgerTotals {
  ids: Set<string>;
}

/** What the ledger file holds, read after the processor has stopped (one process per DuckDB file). */
export async function readLedger(dbPath: string): Promise<LedgerSummary> {
  return withLedger(dbPath, async (connection) => {
    const ids = (await connection.runAndReadAll(`SELECT trace_id || '/' || span_id AS id FROM llm_calls`)).getRowObjectsJS();
    return { ...(await totalsOf(connection)), ids: new Set(ids.map((r) => String(r.id))) };
  });
}

/** The counts alone: a soak stores more calls than a JavaScript Set can hold (2^24). */
export function readLedgerTotals(dbPath: string): Promise<LedgerTotals> {
  return withLedger(dbPath, totalsOf);
}

async function withLedger<T>(dbPath: string, read: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await openDatabase(dbPath, { readOnly: true });
  try {
    return await read(db.connection);
  } finally {
    await db.close();
  }
}

async function totalsOf(connection: DuckDBConnection): Promise<LedgerTotals> {
  const totals = (
    await connection.runAndReadAll(
      `SELECT count(*) AS n, count(DISTINCT (trace_id, span_id)) AS d, coalesce(sum(cost_usd), 0)::VARCHAR AS cost FROM llm_calls`,
    )
  ).getRowObjectsJS()[0] as { n: bigint; d: bigint; cost: string };
  return { rows: Number(totals.n), distinct: Number(totals.d), costNanos: usdToNanos(totals.cost) };
}

/** "12.345678900" → 12345678900n, exactly. */
export function usdToNanos(usd: string): bigint {
  const [whole = '0', fraction = ''] = usd.split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

/** Resident set size now and at its peak (VmHWM), in bytes, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** One Prometheus sample by its name and labels as written, e.g. `otelcol_receiver_accepted_spans{receiver="otlp",transport="http"}`. */
export async function scrapeMetrics(httpUrl: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(`${httpUrl}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic PRNG (mulberry32): the same seed gives the same corpus and schedule on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
