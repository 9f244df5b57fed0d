import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { storageSchema } from '../../processor/src/config/schema.js';
import { openDatabase } from '../../processor/src/store/database.js';

describe('DuckDB settings from storage config', () => {
  it('defaults DuckDB to one thread fewer than the cores (at least one) and refuses zero', () => {
    expect(storageSchema.parse({}).threads).toBe(Math.max(1, availableParallelism() - 1));
    const refused = storageSchema.safeParse({ threads: 0 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('at least 1, e.g. 4');
  });

  it('opens DuckDB with the configured threads and memory limit', async () => {
    const db = await openDatabase(':memory:', { threads: 1, memoryLimitMib: 64 });
    try {
      const settings = (await db.connection.runAndReadAll("SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory")).getRowObjectsJS();
      expect(settings).toEqual([{ threads: 1n, memory: '64.0 MiB' }]);
    } finally {
      await db.close();
    }
  });
});
