import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queriesDir } from '../../processor/src/store/database.js';
import { scheduleParquetSnapshots, snapshotTables, writeParquetSnapshot } from '../../processor/src/store/parquet-snapshots.js';
import { DailySpend } from '../../processor/src/store/spend-daily.js';
import { groupBy, isoDay, openSeededLedger, sumNanos, testNow, usd, type SeededLedger } from './report-fixture.js';
import { insertSeed } from './seed-ledger.js';

const dir = mkdtempSync(join(tmpdir(), 'gc-parquet-'));
let ledger: SeededLedger;
let cachedDays = 0;
beforeAll(async () => {
  ledger = await openSeededLedger();
  // The daily spend cache as a running service keeps it: every past day computed.
  const spend = await DailySpend.open(ledger.db.connection);
  cachedDays = await spend.refresh(ledger.db.connection, testNow, 1000);
});
afterAll(async () => {
  await ledger.db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What an analyst runs: a separate DuckDB reading the snapshot files. */
/** The README's step after creating the views: the macro the spend reports read. */
const spendDaysMacro = readFileSync(`${queriesDir}spend-days.sql`, 'utf8');

async function analyst(sql: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const calls = (root: string) => `read_parquet('${root}/current/llm_calls/*/*.parquet', hive_partitioning = true)`;

describe('Parquet snapshots', () => {
  it('writes llm_calls and actions partitioned by day, readable by any DuckDB', async () => {
    const root = join(dir, 'exports');
    const result = await writeParquetSnapshot(ledger.db.connection, root, { now: new Date('2026-12-01T10:00:00Z') });
    expect(cachedDays).toBeGreaterThan(0);
    expect(result.rows).toMatchObject({ llm_calls: ledger.calls.length, actions: ledger.actions.length, spend_daily_days: cachedDays });
    expect(result.rows.spend_daily).toBeGreaterThan(0);
    expect(readlinkSync(join(root, 'current'))).toBe(join('snapshots', '20261201T100000000Z'));

    const days = [...groupBy(ledger.calls, (c) => isoDay(c.start))].map(([day, group]) => ({
      day,
      calls: String(group.length),
      cost: usd(sumNanos(group.map((c) => c.cost_nanos))),
    }));
    expect(readdirSync(join(root, 'current', 'llm_calls')).sort()).toEqual(days.map((d) => `day=${d.day}`).sort());
    const read = await analyst(`SELECT day::VARCHAR AS day, count(*)::VARCHAR AS calls, sum(cost_usd)::VARCHAR AS cost FROM ${calls(root)} GROUP BY day ORDER BY day`);
    expect(read).toEqual(days.sort((a, b) => a.day.localeCompare(b.day)));
    const actions = await analyst(`SELECT count(*)::VARCHAR AS n FROM read_parquet('${root}/current/actions/*/*.parquet', hive_partitioning = true)`);
    expect(actions).toEqual([{ n: String(ledger.actions.length) }]);
  });

  it('runs the report files unchanged on views over the snapshot (the README example), cache included', async () => {
    const root = join(dir, 'exports');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const table of snapshotTables) {
        await connection.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${root}/current/${table}/*/*.parquet', hive_partitioning = true)`);
      }
      await connection.run(spendDaysMacro);
      // As a Python or CLI user binds them: plain strings and NULLs, cast by the query itself.
      const fresh = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM spend_daily_days WHERE fresh');
      expect(fresh.getRowObjectsJS()).toEqual([{ n: cachedDays }]);
      const report = ledger.catalog.get('spend-by-team');
      const fromSnapshot = await connection.runAndReadAll(report.sql, { since: '2026-11-01', until: '2026-12-01', team: null, grain: 'week' });
      const fromLedger = await ledger.run('spend-by-team', { since: '2026-11-01', until: '2026-12-01', grain: 'week' });
      expect(fromSnapshot.getRowObjectsJson().map((r) => [r.period, r.team, r.requests, r.cost_usd])).toEqual(
        fromLedger.map((r) => [r.period, r.team, String(r.requests), r.cost_usd]),
      );
      const unaligned = { since: '2026-10-07T13:00:00', until: '2026-11-20T05:30:00', team: null, grain: 'day' };
      const fromSnapshotDaily = await connection.runAndReadAll(ledger.catalog.get('spend-by-team-model').sql, unaligned);
      const fromLedgerDaily = await ledger.run('spend-by-team-model', { ...unaligned, team: undefined });
      expect(fromSnapshotDaily.getRowObjectsJson().map((r) => [r.period, r.team, r.model, r.requests, r.cost_usd])).toEqual(
        fromLedgerDaily.map((r) => [r.period, r.team, r.model, String(r.requests), r.cost_usd]),
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('swaps `current` to each new snapshot and keeps only the previous one besides', async () => {
    const root = join(dir, 'rolling');
    await writeParquetSnapshot(ledger.db.connection, root, { now: new Date('2026-12-01T10:00:00Z') });
    const extra = { ...ledger.calls[0], trace_id: 'f'.repeat(32), span_id: 'f'.repeat(16), start: new Date('2026-12-01T09:00:00Z') } as (typeof ledger.calls)[number];
    await insertSeed(ledger.db.connection, { calls: [extra], actions: [] });
    try {
      await writeParquetSnapshot(ledger.db.connection, root, { now: new Date('2026-12-01T10:15:00Z') });
      await writeParquetSnapshot(ledger.db.connection, root, { now: new Date('2026-12-01T10:15:00Z') });
      expect(readdirSync(join(root, 'snapshots')).sort()).toEqual(['20261201T101500000Z', '20261201T101500000Z-1']);
      expect(readlinkSync(join(root, 'current'))).toBe(join('snapshots', '20261201T101500000Z-1'));
      expect(await analyst(`SELECT count(*)::VARCHAR AS n FROM ${calls(root)} WHERE day = DATE '2026-12-01'`)).toEqual([{ n: '1' }]);
    } finally {
      await ledger.db.connection.run(`DELETE FROM llm_calls WHERE trace_id = '${'f'.repeat(32)}'`);
    }
  });

  it('an empty ledger still gives readable files with every column', async () => {
    const empty = await openDatabase(':memory:');
    try {
      const root = join(dir, 'empty');
      await writeParquetSnapshot(empty.connection, root);
      const columns = await analyst(`SELECT count(*)::VARCHAR AS n, count(cost_usd)::VARCHAR AS priced FROM ${calls(root)}`);
      expect(columns).toEqual([{ n: '0', priced: '0' }]);
      // The reports run on empty views too: the cache's day column comes from the partition, a DATE.
      const views = snapshotTables
        .map((table) => `CREATE VIEW ${table} AS SELECT * FROM read_parquet('${root}/current/${table}/*/*.parquet', hive_partitioning = true);`)
        .join('\n');
      const sql = ledger.catalog.get('spend-by-team').sql.replace(/;\s*$/, '');
      const spend = await analyst(`${views}\n${spendDaysMacro}\nPREPARE spend AS ${sql};\nEXECUTE spend(since := '2026-11-01', until := NULL, team := NULL, grain := 'week');`);
      expect(spend).toEqual([]);
    } finally {
      await empty.close();
    }
  });

  it('the scheduler snapshots on its interval and stops cleanly', async () => {
    const root = join(dir, 'scheduled');
    const scheduler = scheduleParquetSnapshots({ instance: ledger.db.instance, dir: root, everyMs: 50 });
    await expect.poll(() => existsSync(join(root, 'current')), { timeout: 10_000, interval: 25 }).toBe(true);
    const now = await scheduler.snapshotNow();
    expect(now.rows.llm_calls).toBe(ledger.calls.length);
    await scheduler.stop();
    const after = readdirSync(join(root, 'snapshots'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(readdirSync(join(root, 'snapshots'))).toEqual(after);
  });
});
