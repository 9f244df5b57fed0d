/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so none disturbs another's
 * memory figures. BENCH_ONLY=ingest,rollup picks some. Each prints its own table with its conditions.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchmarks: Array<{ name: string; file: string; nodeArgs?: string[]; env?: Record<string, string> }> = [
  { name: 'decode', file: 'decode.ts' },
  { name: 'ingest', file: 'ingest.ts' },
  { name: 'rollup', file: 'rollup.ts', nodeArgs: ['--expose-gc'] },
  { name: 'forwarding', file: 'forwarding.ts' },
  { name: 'instrumentation', file: 'instrumentation.ts' },
  { name: 'reports', file: 'reports.ts' },
  // As deployment is documented (processor/src/ops/README.md); glibc reads it at start.
  { name: 'ledger-memory', file: 'ledger-memory.ts', env: { MALLOC_ARENA_MAX: '2' } },
];

const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
let failed = 0;
for (const benchmark of benchmarks) {
  if (only !== undefined && !only.includes(benchmark.name)) continue;
  process.stdout.write(`\n=== ${benchmark.name} ===\n`);
  const result = spawnSync(process.execPath, [...(benchmark.nodeArgs ?? []), '--import', 'tsx', fileURLToPath(new URL(benchmark.file, import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, ...benchmark.env },
  });
  if (result.status !== 0) {
    failed += 1;
    process.stderr.write(`benchmark ${benchmark.name} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
