import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, queriesDir } from '../../processor/src/store/database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The schema as versions before this one wrote it: actions and trace_roots keyed by trace_id. */
function keyedSchema(): string {
  const schema = readFileSync(`${queriesDir}schema.sql`, 'utf8');
  const keyed = schema.replace(/^ {2}trace_id {12}VARCHAR NOT NULL,(\n|   -- unique, see actions\n)/gm, '  trace_id            VARCHAR PRIMARY KEY,\n');
  expect(keyed.match(/trace_id {12}VARCHAR PRIMARY KEY,/g)).toHaveLength(2);
  return keyed;
}

const keysOf = `SELECT table_name, constraint_type FROM duckdb_constraints()
  WHERE table_name IN ('actions', 'trace_roots') AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY ALL`;

describe('opening a ledger an older version wrote', () => {
  it('re-creates actions and trace_roots without their primary keys (ART indexes), keeping every row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-schema-'));
    dirs.push(dir);
    const path = join(dir, 'ledger.duckdb');
    {
      const instance = await DuckDBInstance.create(path);
      const connection = await instance.connect();
      await connection.run(keyedSchema());
      await connection.run(`INSERT INTO trace_roots (trace_id, root_span_name, team, complete, updated_at)
        SELECT printf('%032x', i), 'POST /chat', 'support', true, TIMESTAMP '2026-11-01' FROM range(3) t(i)`);
      await connection.run(`INSERT INTO actions (trace_id, action, team, start_time, end_time, calls, failed_calls, unpriced_calls,
          cost_usd, models, complete, updated_at)
        SELECT printf('%032x', i), 'support.answer', 'support', TIMESTAMP '2026-11-01', TIMESTAMP '2026-11-01', 2, 0, 0,
          0.25, ['gpt-4.1'], true, TIMESTAMP '2026-11-01' FROM range(3) t(i)`);
      expect((await connection.runAndReadAll(keysOf)).getRows()).toHaveLength(2);
      connection.closeSync();
      instance.closeSync();
    }
    for (let opening = 0; opening < 2; opening++) {
      const db = await openDatabase(path);
      expect((await db.connection.runAndReadAll(keysOf)).getRows()).toEqual([]);
      expect((await db.connection.runAndReadAll(`SELECT count(*)::INTEGER FROM duckdb_indexes() WHERE table_name IN ('actions', 'trace_roots')`)).getRows()).toEqual([[0]]);
      const kept = await db.connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM trace_roots WHERE team = 'support')::INTEGER,
                (SELECT sum(cost_usd) FROM actions)::VARCHAR, (SELECT list(DISTINCT models[1]) FROM actions)`,
      );
      expect(kept.getRowsJS()).toEqual([[3, '0.750000000', ['gpt-4.1']]]);
      const notNull = await db.connection.runAndReadAll(
        `SELECT table_name FROM duckdb_columns() WHERE table_name IN ('actions', 'trace_roots') AND column_name = 'trace_id' AND NOT is_nullable ORDER BY 1`,
      );
      expect(notNull.getRowsJS()).toEqual([['actions'], ['trace_roots']]);
      await db.close();
    }
  });
});

describe('opening a ledger whose actions keep costs in DECIMAL(18, 9)', () => {
  it('widens actions.cost_usd and failed_cost_usd to DECIMAL(38, 9), keeping every value, so a trace can sum past $1e9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-schema-'));
    dirs.push(dir);
    const path = join(dir, 'ledger.duckdb');
    {
      const narrow = readFileSync(`${queriesDir}schema.sql`, 'utf8').replace(
        /cost_usd {12}DECIMAL\(38, 9\),[^\n]*\n {2}failed_cost_usd {5}DECIMAL\(38, 9\),/,
        'cost_usd            DECIMAL(18, 9),\n  failed_cost_usd     DECIMAL(18, 9),',
      );
      const instance = await DuckDBInstance.create(path);
      const connection = await instance.connect();
      await connection.run(narrow);
      await connection.run(`INSERT INTO actions (trace_id, action, start_time, end_time, calls, failed_calls, unpriced_calls, cost_usd, failed_cost_usd, complete, updated_at)
        VALUES ('${'a'.repeat(32)}', 'support.answer', TIMESTAMP '2026-11-01', TIMESTAMP '2026-11-01', 2, 1, 0, 999999999.123456789, 0.5, true, TIMESTAMP '2026-11-01')`);
      expect((await connection.runAndReadAll(costTypes)).getRows()).toEqual([['DECIMAL(18,9)'], ['DECIMAL(18,9)']]);
      connection.closeSync();
      instance.closeSync();
    }
    for (let opening = 0; opening < 2; opening++) {
      const db = await openDatabase(path);
      expect((await db.connection.runAndReadAll(costTypes)).getRows()).toEqual([['DECIMAL(38,9)'], ['DECIMAL(38,9)']]);
      const kept = await db.connection.runAndReadAll(`SELECT cost_usd::VARCHAR, failed_cost_usd::VARCHAR, (cost_usd * 2)::VARCHAR FROM actions`);
      expect(kept.getRows()).toEqual([['999999999.123456789', '0.500000000', '1999999998.246913578']]);
      await db.close();
    }
  });
});

const costTypes = `SELECT data_type FROM duckdb_columns() WHERE table_name = 'actions' AND column_name IN ('cost_usd', 'failed_cost_usd') ORDER BY column_name`;
