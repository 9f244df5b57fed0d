import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedger, tempDir, writeConfig } from '../reliability/support.js';
import { cliPath, startProcessor } from '../support/processor-process.js';

// `genai-chargeback serve` as an operator meets it: a bad file stops start-up with exit 2 and one message naming
// the file, the field and what is wrong; SIGINT stops it gracefully with the acknowledged calls stored.

function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('gc-serve-');
  return spawnSync(process.execPath, [cliPath, 'serve', '--db', join(dir, 'ledger.duckdb'), '--http-port', '0', '--grpc-port', '0', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
}

describe('serve: start-up refused', () => {
  it('names the config file and the field for an invalid value', () => {
    const config = writeConfig(tempDir('gc-serve-'), { storage: { ack: 'sometimes' } });
    const run = serve(['--config', config]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`genai-chargeback: ${config}: invalid configuration\n  storage.ack: 'commit' or 'journal'\n`);
  });

  it('names the config file and the token field for an unset token variable', () => {
    const config = writeConfig(tempDir('gc-serve-'), { auth: { ingest: [{ name: 'search-svc', token_env: 'GC_TEST_UNSET_TOKEN' }] } });
    const run = serve(['--config', config], { GC_TEST_UNSET_TOKEN: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `genai-chargeback: ${config}: auth.ingest[0].token_env: environment variable GC_TEST_UNSET_TOKEN is not set or empty; set it to the token\n`,
    );
  });

  it('names the price file, the entry and the field for a bad --prices file', () => {
    const prices = join(tempDir('gc-serve-'), 'negotiated.json');
    writeFileSync(prices, JSON.stringify({ prices: [{ provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: -1, output_per_mtok: 8 }] }));
    const run = serve(['--prices', prices]);
    expect(run.status).toBe(2);
    // The book is read after the start-up log line on security and limits; the refusal is the last line.
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      `genai-chargeback: ${prices}: prices[0] (openai gpt-4.1): input_per_mtok: expected a number >= 0 (USD per million tokens), got -1`,
    );
  });
});

describe('serve: SIGINT', () => {
  it('stops gracefully, exit 0, with every acknowledged call in the ledger', async () => {
    const processor = await startProcessor();
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const span = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'chat gpt-4.1',
      startTimeUnixNano: now,
      endTimeUnixNano: now,
      attributes: [
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4.1' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '1000' } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '100' } },
      ],
    };
    const response = await fetch(`${processor.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
    });
    expect(response.status).toBe(200);
    expect(await processor.stop('SIGINT')).toBe(0);
    expect(processor.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['stopping: finishing in-flight batches', 'stopped']));
    const ledger = await readLedger(processor.dbPath);
    expect([...ledger.ids]).toStrictEqual(['0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331']);
    expect(ledger.costNanos).toBe(2_800_000n);
  });
});
