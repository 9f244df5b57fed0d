import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { inTransaction } from './transaction.js';

/**
 * The SQL files (schema, roll-up, reports): in a checkout, the repository's queries/; in an installed
 * package, the copy the build put in it (processor/queries/). The checkout's own files come first, so an
 * edited report is never shadowed by a stale copy.
 */
const repositoryQueries = fileURLToPath(new URL('../../../queries/', import.meta.url));
export const queriesDir = existsSync(`${repositoryQueries}schema.sql`)
  ? repositoryQueries
  : fileURLToPath(new URL('../../queries/', import.meta.url));

export interface Database {
  instance: DuckDBInstance;
  /** A connection for short statements; open more with `instance.connect()` for concurrent work. */
  connection: DuckDBConnection;
  close(): Promise<void>;
}

/** Open (or create) the DuckDB file and apply the schema. `:memory:` works for tests. */
export async function openDatabase(
  path: string,
  options: { readOnly?: boolean; memoryLimitMib?: number; threads?: number; checkpointThresholdMib?: number } = {},
): Promise<Database> {
  const settings: Record<string, string> = {};
  if (options.readOnly) settings.access_mode = 'READ_ONLY';
  if (options.memoryLimitMib !== undefined) settings.memory_limit = `${options.memoryLimitMib}MiB`;
  if (options.threads !== undefined) settings.threads = String(options.threads);
  if (options.checkpointThresholdMib !== undefined) settings.checkpoint_threshold = `${options.checkpointThresholdMib}MiB`;
  const instance = await DuckDBInstance.create(path, settings);
  const connection = await instance.connect();
  if (options.readOnly) await standInForMissingCaches(connection);
  else {
    const schema = await readFile(`${queriesDir}schema.sql`, 'utf8');
    await connection.run(schema);
    await dropPrimaryKeys(connection, schema);
    await widenActionCosts(connection);
    await connection.run(await readFile(`${queriesDir}spend-days.sql`, 'utf8'));
  }
  return {
    instance,
    connection,
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Tables an older version keyed by trace_id; queries/schema.sql says why they no longer are. */
const formerlyKeyedTables = ['actions', 'trace_roots'];

/** A ledger written by an older version: its keyed tables are re-created without the key, rows kept. */
async function dropPrimaryKeys(connection: DuckDBConnection, schema: string): Promise<void> {
  const keyed = await connection.runAndReadAll(
    `SELECT DISTINCT table_name FROM duckdb_constraints()
     WHERE database_name = current_database() AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'
       AND list_contains($tables, table_name)`,
    { tables: listValue(formerlyKeyedTables) },
    { tables: LIST(VARCHAR) },
  );
  const tables = (keyed.getColumnsJS()[0] ?? []).map(String);
  if (tables.length === 0) return;
  await inTransaction(connection, async () => {
    for (const table of tables) await connection.run(`ALTER TABLE ${table} RENAME TO ${table}_keyed`);
    await connection.run(schema);
    for (const table of tables) {
      await connection.run(`INSERT INTO ${table} SELECT * FROM ${table}_keyed`);
      await connection.run(`DROP TABLE ${table}_keyed`);
    }
  });
}

/** A ledger written by an older version keeps action costs in DECIMAL(18, 9), which a trace's sum can pass. */
async function widenActionCosts(connection: DuckDBConnection): Promise<void> {
  const narrow = await connection.runAndReadAll(
    `SELECT column_name FROM duckdb_columns()
     WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'actions'
       AND column_name IN ('cost_usd', 'failed_cost_usd') AND data_type = 'DECIMAL(18,9)'`,
  );
  for (const column of (narrow.getColumnsJS()[0] ?? []).map(String)) {
    await connection.run(`ALTER TABLE actions ALTER COLUMN ${column} SET DATA TYPE DECIMAL(38, 9)`);
  }
}

/** Tables the reports read that a ledger written by an older version does not have yet. */
const cacheTables = ['spend_daily', 'spend_daily_days'];

/**
 * A ledger written before the daily spend cache existed, opened read-only (the schema cannot be applied):
 * empty temporary tables of the same shape, and the `spend_days` macro, stand in on this connection, so the
 * spend reports read every day from llm_calls. The next `serve` creates the real ones.
 */
async function standInForMissingCaches(connection: DuckDBConnection): Promise<void> {
  const present = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
  );
  const names = new Set((present.getColumnsJS()[0] ?? []).map(String));
  if (!names.has('llm_calls')) return;
  const schema = await readFile(`${queriesDir}schema.sql`, 'utf8');
  for (const table of cacheTables.filter((name) => !names.has(name))) {
    const ddl = new RegExp(`CREATE TABLE IF NOT EXISTS ${table} \\([\\s\\S]*?\\n\\);`).exec(schema)?.[0];
    if (ddl !== undefined) await connection.run(ddl.replace('CREATE TABLE', 'CREATE TEMP TABLE'));
  }
  const macro = await connection.runAndReadAll(`SELECT count(*) FROM duckdb_functions() WHERE function_name = 'spend_days'`);
  if (Number(macro.getRows()[0]?.[0] ?? 0) > 0) return;
  const spendDays = await readFile(`${queriesDir}spend-days.sql`, 'utf8');
  await connection.run(spendDays.replace('CREATE OR REPLACE MACRO', 'CREATE OR REPLACE TEMP MACRO'));
}
