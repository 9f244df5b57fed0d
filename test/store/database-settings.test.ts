import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkpointThresholdMib, storageSchema } from '../../processor/src/config/schema.js';
import { openDatabase } from '../../processor/src/store/database.js';

describe('DuckDB settings from storage config', () => {
  it('defaults DuckDB to one thread fewer than the cores (at least one) and refuses zero', () => {
    expect(storageSchema.parse({}).threads).toBe(Math.max(1, availableParallelism() - 1));
    const refused = storageSchema.safeParse({ threads: 0 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('at least 1, e.g. 4');
  });

  it('checkpoints at an eighth of the memory limit, at most 64 MiB, unless configured', () => {
    expect(checkpointThresholdMib(storageSchema.parse({}))).toBe(64);
    expect(checkpointThresholdMib(storageSchema.parse({ memory_limit_mib: 128 }))).toBe(16);
    expect(checkpointThresholdMib(storageSchema.parse({ memory_limit_mib: 100 }))).toBe(12);
    expect(checkpointThresholdMib(storageSchema.parse({ memory_limit_mib: 128, checkpoint_threshold_mib: 256 }))).toBe(256);
    const refused = storageSchema.safeParse({ checkpoint_threshold_mib: 0 });
    expect(refused.error?.issues[0]?.message).toBe('at least 1 (MiB), e.g. 64');
  });

  it('opens DuckDB with the configured threads, memory limit and checkpoint threshold', async () => {
    const db = await openDatabase(':memory:', { threads: 1, memoryLimitMib: 64, checkpointThresholdMib: 48 });
    try {
      const settings = (
        await db.connection.runAndReadAll(
          "SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory, current_setting('checkpoint_threshold') AS checkpoint",
        )
      ).getRowObjectsJS();
      expect(settings).toEqual([{ threads: 1n, memory: '64.0 MiB', checkpoint: '48.0 MiB' }]);
    } finally {
      await db.close();
    }
  });
});
