/**
 * Report latency on a generated ledger (issue 5): `node --import tsx bench/reports.ts [--calls N] [--runs N]
 * [--db FILE] [--snapshot]`. Generates N calls (default 10 million, 5 calls a trace, so N/5 actions) over
 * 90 days into a temporary DuckDB file, then runs every report in queries/ through the same runner the CLI
 * and the HTTP API use, and prints p50/p95 per report with the conditions. `--db FILE` reuses (or keeps)
 * a generated file; `--snapshot` also times a Parquet snapshot of the whole ledger.
 */
import { mkdtempSync, rmSync, statSync, existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import duckdb from '@duckdb/node-api';
import { ReportCatalog } from '../processor/src/reports/catalog.js';
import { prepareReport } from '../processor/src/reports/execute-report.js';
import type { RawParameters } from '../processor/src/reports/parameters.js';
import { runReport } from '../processor/src/reports/runner.js';
import { openDatabase } from '../processor/src/store/database.js';
import { writeParquetSnapshot } from '../processor/src/store/parquet-snapshots.js';
import { DailySpend } from '../processor/src/store/spend-daily.js';
import { generateLedger } from './generate-ledger.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000000' },
    // 40, so p95 is the 38th of 40 runs and not, as with 10, their maximum.
    runs: { type: 'string', default: '40' },
    db: { type: 'string' },
    snapshot: { type: 'boolean', default: false },
  },
});
const calls = Number(args.calls);
const runs = Number(args.runs);
const end = new Date('2026-11-22T00:00:00Z');
const days = 90;
const day = 86_400_000;
const iso = (offsetDays: number) => new Date(end.getTime() - offsetDays * day).toISOString();

const workDir = args.db === undefined ? mkdtempSync(join(tmpdir(), 'gc-bench-reports-')) : undefined;
const dbPath = args.db ?? join(workDir as string, 'ledger.duckdb');

let generatedIn: number | undefined;
if (!existsSync(dbPath)) {
  const db = await openDatabase(dbPath);
  const started = performance.now();
  await generateLedger(db.connection, { calls, callsPerTrace: 5, days, end });
  await db.connection.run('CHECKPOINT');
  generatedIn = performance.now() - started;
  await db.close();
}
let cacheNote = '';
{
  // A file generated before the daily spend cache existed gets it as generate-ledger builds it: every day but the last.
  const db = await openDatabase(dbPath);
  const fresh = await db.connection.runAndReadAll('SELECT count(*) FROM spend_daily_days WHERE fresh');
  if (Number(fresh.getRows()[0]?.[0] ?? 0) === 0) {
    const started = performance.now();
    const spend = await DailySpend.open(db.connection);
    const refreshed = await spend.refresh(db.connection, new Date(end.getTime() - day), days);
    await db.connection.run('CHECKPOINT');
    cacheNote = ` (computed now for this older file: ${refreshed} days in ${((performance.now() - started) / 1000).toFixed(1)} s)`;
  }
  await db.close();
}
const fileBytes = statSync(dbPath).size;

/** What each report is timed with: the last 30 days (the reports' default window) unless said otherwise. */
const last30 = { since: iso(30), until: end.toISOString() };
const scenarios: { report: string; label?: string; raw: RawParameters; targetMs?: number }[] = [
  { report: 'spend-by-team-model', label: 'all 90 days, per day', raw: { since: iso(days), until: end.toISOString(), grain: 'day' }, targetMs: 200 },
  { report: 'spend-by-team-model', raw: { ...last30, grain: 'day' } },
  { report: 'spend-by-team', label: 'all 90 days, per month', raw: { since: iso(days), until: end.toISOString() } },
  ...['spend-by-team', 'spend-by-project', 'spend-by-feature', 'spend-by-customer', 'spend-by-environment', 'spend-by-model', 'spend-by-provider'].map(
    (report) => ({ report, raw: last30 }),
  ),
  { report: 'action-costs', raw: last30, targetMs: 20 },
  { report: 'action-costs', label: 'all 90 days', raw: { since: iso(days), until: end.toISOString() }, targetMs: 20 },
  { report: 'top-actions', raw: last30, targetMs: 20 },
  { report: 'top-actions', label: 'all 90 days', raw: { since: iso(days), until: end.toISOString() }, targetMs: 20 },
  { report: 'action-instance-costs', raw: last30 },
  { report: 'conversation-costs', raw: last30 },
  { report: 'top-calls', raw: last30 },
  { report: 'team-trends', label: '8 weeks', raw: { until: end.toISOString() } },
  { report: 'unallocated-share', raw: last30 },
  { report: 'unallocated-sources', raw: last30 },
  { report: 'unpriced-models', raw: last30 },
  { report: 'failed-call-cost', raw: last30 },
  { report: 'chargeback', label: 'month 2026-10', raw: { month: '2026-10', platform_team: 'team-0' } },
  { report: 'chargeback-lines', label: 'month 2026-10', raw: { month: '2026-10' } },
];

const catalog = await ReportCatalog.load();
const db = await openDatabase(dbPath, { readOnly: true });
const counts = (await db.connection.runAndReadAll('SELECT (SELECT count(*) FROM llm_calls), (SELECT count(*) FROM actions)')).getRows()[0] ?? [];
const load = loadavg()[0]?.toFixed(2);
const cache = (
  await db.connection.runAndReadAll(`
    SELECT count(*) FILTER (fresh), count(*), min(day) FILTER (fresh)::VARCHAR, max(day) FILTER (fresh)::VARCHAR,
           string_agg(day::VARCHAR, ', ' ORDER BY day) FILTER (NOT fresh), (SELECT count(*) FROM spend_daily)
    FROM spend_daily_days`)
).getRowsJS()[0] ?? [];
const cacheLine =
  `Daily spend cache (spend_daily, ${Number(cache[5]).toLocaleString('en')} rows): ${Number(cache[0])} of ${Number(cache[1])} days fresh` +
  (Number(cache[0]) > 0 ? ` (${String(cache[2])} … ${String(cache[3])})` : '') +
  (cache[4] === null ? '' : `; read from llm_calls: ${String(cache[4])}`) +
  cacheNote;

const results: string[][] = [];
for (const scenario of scenarios) {
  const { report, values } = prepareReport(catalog, scenario.report, scenario.raw, end);
  let rows = 0;
  const times: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    const result = await runReport(db.connection, report, values);
    if (run > 0) times.push(performance.now() - started); // run 0 warms the caches
    rows = result.rows.length;
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? NaN;
  const verdict = scenario.targetMs === undefined ? '' : p(0.95) <= scenario.targetMs ? `< ${scenario.targetMs} ok` : `< ${scenario.targetMs} MISSED`;
  results.push([scenario.report, scenario.label ?? 'last 30 days', String(rows), (times[0] ?? NaN).toFixed(1), p(0.5).toFixed(1), p(0.95).toFixed(1), verdict]);
}
await db.close();

let snapshotLine = '';
if (args.snapshot) {
  const writable = await openDatabase(dbPath);
  const out = mkdtempSync(join(tmpdir(), 'gc-bench-parquet-'));
  const snapshot = await writeParquetSnapshot(writable.connection, out);
  await writable.close();
  const parquetBytes = sizeOf(snapshot.path);
  snapshotLine = `Parquet snapshot: ${(snapshot.tookMs / 1000).toFixed(1)} s, ${mib(parquetBytes)} (${mib((parquetBytes * 1e6) / calls)} per million calls, zstd)\n`;
  rmSync(out, { recursive: true, force: true });
}

// min is the run least disturbed by other work on the machine; p50/p95 include that disturbance.
const headers = ['report', 'window', 'rows', 'min ms', 'p50 ms', 'p95 ms', 'target (p95)'];
const widths = headers.map((h, i) => Math.max(h.length, ...results.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
process.stdout.write(
  [
    `Reports over a generated ledger: ${Number(counts[0]).toLocaleString('en')} calls, ${Number(counts[1]).toLocaleString('en')} actions, ${days} days`,
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${load} at start; Node ${process.version}, DuckDB ${duckdb.version()}`,
    `DuckDB file: ${mib(fileBytes)} (${mib((fileBytes * 1e6) / calls)} per million calls, actions, the daily spend cache and the primary-key index included)` +
      (generatedIn === undefined ? '' : `; generated in ${(generatedIn / 1000).toFixed(0)} s`),
    cacheLine,
    `Each report: 1 warm-up + ${runs} runs through the CLI/HTTP runner (prepare, bind, run, convert rows), read-only connection`,
    snapshotLine.trimEnd(),
    '',
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...results.map(line),
    '',
  ]
    .filter((l, i) => l !== '' || i > 5)
    .join('\n'),
);

if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
