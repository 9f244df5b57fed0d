import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

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
export async function openDatabase(path: string, options: { readOnly?: boolean; memoryLimitMib?: number } = {}): Promise<Database> {
  const settings: Record<string, string> = {};
  if (options.readOnly) settings.access_mode = 'READ_ONLY';
  if (options.memoryLimitMib !== undefined) settings.memory_limit = `${options.memoryLimitMib}MiB`;
  const instance = await DuckDBInstance.create(path, settings);
  const connection = await instance.connect();
  if (!options.readOnly) await connection.run(await readFile(`${queriesDir}schema.sql`, 'utf8'));
  return {
    instance,
    connection,
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
