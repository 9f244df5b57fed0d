import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childEnv, splitNodeOptions } from '../../instrumentation/src/sdk/export-at-exit.js';

describe('the environment of the process that exports at exit', () => {
  it('leaves out the preloads and the inspector of NODE_OPTIONS, keeping the rest, quoted values included', () => {
    const nodeOptions = [
      '--require "/tmp/a dir/preload.cjs"',
      '--use-openssl-ca',
      '-r ./b.cjs',
      '--max-old-space-size=512',
      '--import=@genai-chargeback/instrumentation/register',
      '--inspect=0',
      '--title "batch \\"nightly\\" job"',
      '--require=./c.cjs',
    ].join(' ');
    const env = childEnv({ NODE_OPTIONS: nodeOptions, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(splitNodeOptions(env['NODE_OPTIONS'] ?? '')).toEqual(['--use-openssl-ca', '--max-old-space-size=512', '--title', 'batch "nightly" job']);
    expect(env).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' });
    // Node reads the result as it was meant.
    const title = execFileSync(process.execPath, ['-e', 'process.stdout.write(process.title)'], { env: { PATH: process.env['PATH'], NODE_OPTIONS: env['NODE_OPTIONS'] } });
    expect(title.toString()).toBe('batch "nightly" job');
  });
});
