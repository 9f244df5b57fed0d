import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../processor/src/store/database.js';
import { type FakeAdminApi, startFakeAdminApi } from './fake-admin-api.js';
import { P1, openAiCalls, seedLedger } from './ledger-seed.js';

const root = join(import.meta.dirname, '../..');
const fixtures = join(import.meta.dirname, 'fixtures');
let dir: string;
let dbFile: string;
let api: FakeAdminApi;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `genai-chargeback reconcile …` as a user runs it; TZ far from UTC proves days are UTC days. */
function reconcileCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'processor/src/cli/main.ts', 'reconcile', '--db', dbFile, ...args],
      { cwd: root, env: { ...process.env, TZ: 'Pacific/Auckland', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function storedRuns(): Promise<number> {
  const db = await openDatabase(dbFile, { readOnly: true });
  try {
    const reader = await db.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM reconciliation_runs');
    return Number(reader.getRowObjectsJS()[0]?.n);
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reconcile-cli-'));
  dbFile = join(dir, 'ledger.duckdb');
  const db = await openDatabase(dbFile);
  await seedLedger(db, openAiCalls());
  await db.close();
  api = await startFakeAdminApi();
});
afterAll(async () => {
  await api.close();
});

describe('genai-chargeback reconcile', () => {
  it('exits 0 on an exact match and writes every compared cell as CSV', async () => {
    const csv = join(dir, 'exact.csv');
    const result = await reconcileCli(['--provider', 'openai', '--usage', join(fixtures, 'openai/usage-completions.json'), '--costs', join(fixtures, 'openai/costs.json'), '--csv', csv]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Cost: provider $15.68, ledger $15.68, difference $0.00 (provider − ledger).');
    expect(result.stdout).toContain('Within tolerance.');
    const lines = (await readFile(csv, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('run_id,day,provider,model,scope_kind,scope,metric,unit,provider_value,ledger_value,delta,delta_pct,beyond_tolerance,causes,explanation');
    expect(lines).toHaveLength(1 + 3 * 6);
    expect(lines.filter((l) => l.includes(',cost_usd,')).map((l) => l.split(',').slice(1).join(','))).toEqual([
      `2025-08-01,openai,gpt-4.1,project,${P1},cost_usd,usd,11.000000000,11.000000000,0.000000000,0.0000,false,,`,
      '2025-08-01,openai,gpt-4.1-mini,project,proj_Lm9ZaQ4cWe1RtY6uIo3PdF8G,cost_usd,usd,0.280000000,0.280000000,0.000000000,0.0000,false,,',
      `2025-08-02,openai,gpt-4.1,project,${P1},cost_usd,usd,4.400000000,4.400000000,0.000000000,0.0000,false,,`,
    ]);
  });

  it('exits 1 beyond tolerance and explains the cause in the table and the CSV', async () => {
    const csv = join(dir, 'missing.csv');
    const result = await reconcileCli(['--provider', 'openai', '--usage', join(fixtures, 'openai/usage-missing-service.json'), '--costs', join(fixtures, 'openai/costs-missing-service.json'), '--csv', csv]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Beyond tolerance: 6 cells in 2 rows.');
    expect(result.stdout).toContain('  - other_path: o3 never appears in the ledger on 2025-08-01');
    const flagged = (await readFile(csv, 'utf8')).split('\n').filter((l) => l.includes(',true,'));
    expect(flagged.map((l) => l.split(',').slice(3, 12).join(','))).toEqual([
      `gpt-4.1,project,${P1},input_tokens,tokens,3900000,3000000,900000,23.0769`,
      `gpt-4.1,project,${P1},cache_read_tokens,tokens,2600000,2000000,600000,23.0769`,
      `gpt-4.1,project,${P1},output_tokens,tokens,650000,500000,150000,23.0769`,
      `gpt-4.1,project,${P1},cost_usd,usd,14.300000000,11.000000000,3.300000000,23.0769`,
      'o3,project,proj_Qw7ErT2yUi9OpA4sDf6GhJ1K,input_tokens,tokens,40000,0,40000,100.0000',
      'o3,project,proj_Qw7ErT2yUi9OpA4sDf6GhJ1K,output_tokens,tokens,30000,0,30000,100.0000',
    ]);
    expect(flagged[0]?.split(',')[13]).toBe('missing_calls');
  });

  it('writes a month chargeback that sums to the invoice', async () => {
    const spreadCsv = join(dir, 'spread.csv');
    const result = await reconcileCli(['--provider', 'openai', '--costs', join(fixtures, 'openai/costs-discount.json'), '--spread-month', '2025-08', '--spread-csv', spreadCsv]);
    expect(result.code).toBe(1);
    expect(await readFile(spreadCsv, 'utf8')).toBe(
      'month,provider,team,direct_cost_usd,remainder_usd,chargeback_usd\n' +
        '2025-08,openai,checkout,15.400000000,-3.080000000,12.320000000\n' +
        '2025-08,openai,search,0.280000000,-0.056000000,0.224000000\n',
    );
  });

  it('exits 2 on a truncated file, names the line, and stores nothing', async () => {
    const before = await storedRuns();
    const file = join(fixtures, 'openai/usage-truncated.json');
    const result = await reconcileCli(['--provider', 'openai', '--usage', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^genai-chargeback: ${file} line 49: not valid JSON at column \\d+: .*the file looks truncated\\n$`));
    expect(await storedRuns()).toBe(before);
  });

  it('fetches the reports from the admin API with the key from the config', async () => {
    const config = join(dir, 'config.yaml');
    await writeFile(config, `reconcile:\n  openai:\n    admin_key: "\${env:TEST_OPENAI_ADMIN_KEY}"\n    base_url: ${api.url}/v1\n`);
    const result = await reconcileCli(['--provider', 'openai', '--fetch', '--since', '2025-08-01', '--until', '2025-08-03', '--config', config], { TEST_OPENAI_ADMIN_KEY: 'test-openai-admin' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Cost: provider $15.68, ledger $15.68');
    expect(api.requests.filter((r) => r.includes('page=page_'))).toHaveLength(2);
  });

  it('says the ledger is locked while another process holds it', async () => {
    const holder = await openDatabase(dbFile);
    try {
      const result = await reconcileCli(['--provider', 'openai', '--costs', join(fixtures, 'openai/costs.json')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`the ledger ${dbFile} is locked by another process (is \`genai-chargeback serve\` running on it?)`);
    } finally {
      await holder.close();
    }
  });
});
