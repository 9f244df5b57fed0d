import type { DuckDBConnection } from '@duckdb/node-api';

/** Runs `work` in one transaction on `connection`: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    // The original error matters; a failed rollback (the transaction already aborted) adds nothing.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
