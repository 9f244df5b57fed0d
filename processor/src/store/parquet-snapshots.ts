import { mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { inTransaction } from './transaction.js';

/**
 * Analysts' read access without stopping the service: llm_calls and actions as Parquet, partitioned by
 * the UTC day of start_time, which any DuckDB client (or Spark, pandas, ...) reads while the service
 * keeps writing. Readers only ever get files: they cannot write the ledger, and nothing outside the
 * snapshot directory is exposed. The daily spend cache (spend_daily, spend_daily_days: small, partitioned by
 * their own day) comes along, so the report files run unchanged on views over a snapshot.
 *
 *   <dir>/current -> snapshots/<id>                   (a symlink, swapped atomically by rename)
 *   <dir>/snapshots/<id>/llm_calls/day=2026-11-20/data_0.parquet
 *   <dir>/snapshots/<id>/actions/day=2026-11-20/data_0.parquet
 *   <dir>/snapshots/<id>/spend_daily/day=2026-11-20/data_0.parquet
 *   <dir>/snapshots/<id>/spend_daily_days/day=2026-11-20/data_0.parquet
 *
 * A snapshot is written under a temporary name and renamed into place, then `current` is swapped, so a
 * reader sees a whole snapshot or the previous one, never half of one. The previous snapshot is kept
 * (keep = 2) so queries that started on it can finish; older ones are deleted.
 */
export const snapshotTables = ['llm_calls', 'actions', 'spend_daily', 'spend_daily_days'] as const;
type SnapshotTable = (typeof snapshotTables)[number];

/** Tables that have a `day` column of their own; the others are partitioned by the day of start_time. */
const ownDay: ReadonlySet<SnapshotTable> = new Set(['spend_daily', 'spend_daily_days']);

export interface SnapshotResult {
  /** The snapshot directory `current` now points at. */
  path: string;
  rows: Record<SnapshotTable, number>;
  tookMs: number;
}

export interface SnapshotOptions {
  now?: Date;
  /** Snapshots to keep, the current one included (at least 1). */
  keep?: number;
}

export async function writeParquetSnapshot(connection: DuckDBConnection, dir: string, options: SnapshotOptions = {}): Promise<SnapshotResult> {
  const started = performance.now();
  const root = resolve(dir);
  const snapshots = join(root, 'snapshots');
  await mkdir(snapshots, { recursive: true });
  await removeLeftovers(root, snapshots);

  const id = await freshId(snapshots, options.now ?? new Date());
  const temporary = join(snapshots, `.tmp-${id}`);
  await mkdir(temporary);
  const rows: Record<SnapshotTable, number> = { llm_calls: 0, actions: 0, spend_daily: 0, spend_daily_days: 0 };
  try {
    // One transaction: every table comes from the same moment of the ledger (the cache matches the calls).
    await inTransaction(connection, async () => {
      for (const table of snapshotTables) rows[table] = await copyTable(connection, table, join(temporary, table));
    });
    const final = join(snapshots, id);
    await rename(temporary, final);
    await pointCurrentAt(root, id);
    await prune(snapshots, id, Math.max(1, options.keep ?? 2));
    return { path: final, rows, tookMs: performance.now() - started };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

async function copyTable(connection: DuckDBConnection, table: SnapshotTable, target: string): Promise<number> {
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${table}`);
  const rows = Number(counted.getRows()[0]?.[0] ?? 0);
  if (rows === 0) {
    // Readers' globs need a file: an empty one keeps the columns (and the day partition) readable.
    const emptyPartition = join(target, 'day=1970-01-01');
    await mkdir(emptyPartition, { recursive: true });
    const columns = ownDay.has(table) ? '* EXCLUDE (day)' : '*';
    await connection.run(`COPY (SELECT ${columns} FROM ${table} LIMIT 0) TO ${sqlString(join(emptyPartition, 'data_0.parquet'))} (FORMAT parquet)`);
    return 0;
  }
  // COPY takes its target as a literal, not a parameter; the path is the operator's configured directory.
  const select = ownDay.has(table) ? `SELECT * FROM ${table}` : `SELECT *, start_time::DATE AS day FROM ${table}`;
  await connection.run(`COPY (${select}) TO ${sqlString(target)} (FORMAT parquet, PARTITION_BY (day), COMPRESSION zstd)`);
  return rows;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Sortable and unique: the time to the millisecond, with a counter if two snapshots share it. */
async function freshId(snapshots: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  const existing = new Set(await readdir(snapshots));
  let id = stamp;
  for (let n = 1; existing.has(id) || existing.has(`.tmp-${id}`); n++) id = `${stamp}-${n}`;
  return id;
}

/** A new symlink renamed over the old one: rename is atomic, so `current` always resolves. */
async function pointCurrentAt(root: string, id: string): Promise<void> {
  const link = join(root, `.current-${id}`);
  await symlink(join('snapshots', id), link, 'dir');
  await rename(link, join(root, 'current'));
}

async function prune(snapshots: string, currentId: string, keep: number): Promise<void> {
  const ids = (await readdir(snapshots)).filter((name) => !name.startsWith('.')).sort();
  const kept = new Set([...ids.slice(-keep), currentId]);
  for (const id of ids) if (!kept.has(id)) await rm(join(snapshots, id), { recursive: true, force: true });
}

/** Temporary directories and links of a snapshot that was interrupted (one writer process: none is in progress). */
async function removeLeftovers(root: string, snapshots: string): Promise<void> {
  for (const name of await readdir(snapshots)) if (name.startsWith('.tmp-')) await rm(join(snapshots, name), { recursive: true, force: true });
  for (const name of await readdir(root)) if (name.startsWith('.current-')) await rm(join(root, name), { force: true });
}

export interface SnapshotScheduler {
  /** Takes a snapshot now (waiting for one in progress first). */
  snapshotNow(): Promise<SnapshotResult>;
  /** Stops the timer and waits for a snapshot in progress. */
  stop(): Promise<void>;
}

/**
 * Takes a snapshot every `everyMs` on its own connection (the lead wires this into `serve` from
 * `storage.parquet: { dir, every }`). Runs never overlap; a failed run is logged and the next one tries
 * again. The timer does not keep the process alive.
 */
export function scheduleParquetSnapshots(options: {
  instance: DuckDBInstance;
  dir: string;
  everyMs: number;
  keep?: number;
  logger?: Pick<Logger, 'info' | 'error'>;
}): SnapshotScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SnapshotResult> | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;

  const snapshot = async (): Promise<SnapshotResult> => {
    const connection = await options.instance.connect();
    try {
      return await writeParquetSnapshot(connection, options.dir, options.keep === undefined ? {} : { keep: options.keep });
    } finally {
      connection.closeSync();
    }
  };

  const snapshotNow = async (): Promise<SnapshotResult> => {
    while (running) await running.catch(() => undefined);
    running = snapshot();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  const tick = async () => {
    try {
      const result = await snapshotNow();
      options.logger?.info({ path: result.path, rows: result.rows, took_ms: Math.round(result.tookMs) }, 'parquet snapshot written');
    } catch (error) {
      options.logger?.error({ err: error, dir: options.dir }, 'parquet snapshot failed');
    }
    if (!stopped) schedule();
  };

  const schedule = () => {
    timer = setTimeout(() => {
      ticking = tick();
    }, options.everyMs);
    timer.unref();
  };

  schedule();
  return {
    snapshotNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await running?.catch(() => undefined);
    },
  };
}
