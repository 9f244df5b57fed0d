import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../../processor/src/receiver/http-server.js';
import { callSpan, openBudgets, TestClock } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = join(root, 'processor/src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'gc-budgets-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI as users run it: a child process. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const budgets = [
  { name: 'search-monthly', scope: { team: 'search' }, period: 'monthly', limit_usd: 100 },
  { name: 'ads-daily', scope: { team: 'ads' }, period: 'daily', limit_usd: 10, mode: 'block' },
];

describe('genai-chargeback budgets', () => {
  it('reads the DuckDB file directly, or asks the running service when it holds the file', async () => {
    const dbPath = join(dir, 'ledger.duckdb');
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, `storage: { db: ${JSON.stringify(dbPath)} }\nbudgets:\n${budgets.map((b) => `  - ${JSON.stringify(b)}`).join('\n')}\n`);
    const clock = new TestClock(Date.now());
    const at = new Date(Date.now() - 1000).toISOString();
    const seeded = await openBudgets({ budgets }, clock, dbPath);
    await seeded.send([
      callSpan({ usd: 25, at, attribution: { team: 'search' } }),
      callSpan({ usd: 12, at, attribution: { team: 'ads' } }),
    ]);
    await seeded.close();

    const [table, json, badFormat] = await Promise.all([
      cli(['budgets', '--config', configPath]),
      cli(['budgets', '--config', configPath, '--format', 'json']),
      cli(['budgets', '--config', configPath, '--format', 'xml']),
    ]);
    expect(table.code).toBe(0);
    expect(table.stderr).toContain(`reading ${dbPath} directly (read-only)`);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^budget\s+scope\s+window\s+mode\s+limit_usd\s+spent_usd\s+remaining_usd\s+used_pct\s+forecast_usd\s+status$/);
    expect(lines[2]).toMatch(/^search-monthly\s+team=search\s+monthly \d{4}-\d{2}-01\.\.\d{4}-\d{2}-(28|29|30|31) UTC\s+alert\s+100\.00\s+25\.00\s+75\.00\s+25\s+\d+\.\d{2}\s+ok/);
    expect(lines[3]).toMatch(/^ads-daily\s+team=ads\s+daily \d{4}-\d{2}-\d{2} UTC\s+block\s+10\.00\s+12\.00\s+-2\.00\s+120\s+\d+\.\d{2}\s+BLOCKED$/);
    expect(json.code).toBe(0);
    const direct = JSON.parse(json.stdout);
    expect(direct.budgets.map((b: Record<string, unknown>) => [b.name, b.spent_usd, b.remaining_usd, b.blocked])).toEqual([
      ['search-monthly', '25.000000000', '75.000000000', false],
      ['ads-daily', '12.000000000', '-2.000000000', true],
    ]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format: expected table, json, got "xml"');

    // The service holds the file now: the CLI asks it over HTTP.
    const service = await openBudgets({ budgets }, clock, dbPath);
    const app = new Hono();
    app.route('/v1/budgets', service.budgets.routes);
    const http = await serve(app, { port: 0, shutdownGraceMs: 100 });
    try {
      const remote = await cli(['budgets', '--config', configPath, '--format', 'json', '--url', http.url]);
      expect(remote.stderr).toContain(`${dbPath} is held by a running service; asking it at ${http.url}`);
      expect(remote.code).toBe(0);
      expect(JSON.parse(remote.stdout).budgets.map((b: Record<string, unknown>) => [b.name, b.spent_usd, b.blocked])).toEqual([
        ['search-monthly', '25.000000000', false],
        ['ads-daily', '12.000000000', true],
      ]);
    } finally {
      await http.close();
      await service.close();
    }
  });
});
