/**
 * What DuckDB keeps in memory for the ledger rows a process has written: `node --import tsx bench/ledger-memory.ts
 * [--calls N]` (in `npm run bench`, with MALLOC_ARENA_MAX=2 as deployment is documented). Appends N synthetic calls
 * (default 10 million) to a new file in 10,000-row INSERTs, with the storage settings the soak runs (memory_limit
 * 128 MiB, a checkpoint every 16 MiB of log, one DuckDB thread), and reads glibc's heaps after every million. Then
 * a new process opens the file and loads every column's metadata, as a restarted processor's first full scan would.
 *
 * DuckDB's data buffers come from its own allocator, bounded by memory_limit and shown by duckdb_memory(). Its table
 * metadata (per row group and column: segments, block handles, statistics) is made with C++ `new`, so it lives in
 * glibc's heaps, outside that accounting, until the database closes. The soak allows RSS this much growth.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../processor/src/store/database.js';
import { glibcHeapBytes } from '../test/support/glibc-heap.js';
import { insertCalls, type LedgerShape } from './generate-ledger.js';
import { printTable } from './table.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '10000000' }, reopen: { type: 'string' } } });
const mib = 1024 * 1024;
const storage = { memoryLimitMib: 128, checkpointThresholdMib: 16, threads: 1 };

/** The child's part: open the file, load every column's metadata, print the heap before and after as JSON. */
async function measureReopened(path: string): Promise<void> {
  const db = await openDatabase(path, storage);
  const opened = glibcHeapBytes();
  const storageInfo = await db.connection.runAndReadAll(
    "SELECT count(*) AS segments, count(DISTINCT row_group_id) AS row_groups FROM pragma_storage_info('llm_calls')",
  );
  const [segments, rowGroups] = (storageInfo.getRows()[0] ?? []).map(Number);
  console.log(JSON.stringify({ opened, loaded: glibcHeapBytes(), segments, rowGroups }));
  await db.close();
}

async function measureWriting(): Promise<void> {
  const calls = Number(args.calls);
  if (!Number.isInteger(calls) || calls < 2_000_000) throw new Error(`--calls ${args.calls}: at least 2000000 (the first million is not counted)`);
  const dir = mkdtempSync(join(tmpdir(), 'gc-bench-ledger-memory-'));
  const path = join(dir, 'ledger.duckdb');
  const shape: LedgerShape = { calls, callsPerTrace: 5, days: 30, end: new Date() };
  const perInsert = 10_000;
  try {
    const db = await openDatabase(path, storage);
    const rows: Array<Record<string, string>> = [];
    const atStart = glibcHeapBytes();
    let previous = { calls: 0, heap: atStart };
    // The first million fills what does not grow (DuckDB's catalog and caches, the allocator's own structures).
    let afterFirstMillion = previous;
    for (let from = 0; from < calls; from += perInsert) {
      const to = Math.min(calls, from + perInsert);
      await insertCalls(db.connection, shape, from, to);
      if (to % 1_000_000 !== 0 && to !== calls) continue;
      const heap = glibcHeapBytes();
      rows.push({
        'calls stored': to.toLocaleString('en-US'),
        "glibc's heaps (MiB)": (heap / mib).toFixed(1),
        'bytes per call since previous row': ((heap - previous.heap) / (to - previous.calls)).toFixed(2),
        'RSS (MiB)': (process.memoryUsage().rss / mib).toFixed(0),
      });
      process.stderr.write(`ledger-memory: ${to.toLocaleString('en-US')} of ${calls.toLocaleString('en-US')} calls\n`);
      previous = { calls: to, heap };
      if (to === 1_000_000) afterFirstMillion = previous;
    }
    await db.close();
    const perCall = (previous.heap - afterFirstMillion.heap) / (previous.calls - afterFirstMillion.calls);
    const reopened = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--reopen', path], { encoding: 'utf8' });
    if (reopened.status !== 0) throw new Error(`reopening failed: ${reopened.stderr}`);
    const { opened, loaded, segments, rowGroups } = JSON.parse(reopened.stdout) as { opened: number; loaded: number; segments: number; rowGroups: number };
    printTable(
      `Ledger memory: ${calls.toLocaleString('en-US')} calls appended in ${perInsert.toLocaleString('en-US')}-row INSERTs, DuckDB memory_limit 128 MiB, checkpoint 16 MiB, 1 thread, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}; glibc's heaps at open ${(atStart / mib).toFixed(1)} MiB`,
      rows,
    );
    printTable('Ledger memory: per stored call, and after a restart', [
      { measure: 'writing process, after the first million', value: `${perCall.toFixed(2)} bytes a call (${((perCall * 1_000_000) / mib).toFixed(2)} MiB a million)` },
      { measure: 'file', value: `${(statSync(path).size / mib).toFixed(0)} MiB, ${rowGroups} row groups, ${segments.toLocaleString('en-US')} column segments` },
      { measure: 'new process: opened / every column loaded', value: `${(opened / mib).toFixed(1)} / ${(loaded / mib).toFixed(1)} MiB of glibc's heaps (${((loaded - opened) / segments).toFixed(0)} bytes a segment)` },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.reopen !== undefined) await measureReopened(args.reopen);
else await measureWriting();
