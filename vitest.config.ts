import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real processes and a real DuckDB file per test file: two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
