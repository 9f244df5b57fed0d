import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportCatalog } from '../../processor/src/reports/catalog.js';
import { executeReport } from '../../processor/src/reports/execute-report.js';
import { formatCsv } from '../../processor/src/reports/format.js';
import { createReportRoutes } from '../../processor/src/reports/routes.js';
import { instanceReportRunner } from '../../processor/src/reports/runner.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { openSeededLedger } from './report-fixture.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = join(root, 'processor/src/cli/main.ts');

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

const dir = mkdtempSync(join(tmpdir(), 'gc-reports-cli-'));
const dbPath = join(dir, 'ledger.duckdb');
const spendArgs = ['query', 'spend-by-team', '--db', dbPath, '--since', '2026-11-01', '--until', '2026-12-01', '--team', 'search', '--team', '(unallocated)', '--format', 'csv'];
const packArgs = (out: string) => ['report', 'chargeback', '--month', '2026-11', '--platform-team', 'platform', '--db', dbPath, '--out', out];
let expectedCsv: string;

beforeAll(async () => {
  const ledger = await openSeededLedger(dbPath);
  const deps = { catalog: ledger.catalog, run: instanceReportRunner(ledger.db.instance) };
  expectedCsv = formatCsv(await executeReport(deps, 'spend-by-team', { since: '2026-11-01', until: '2026-12-01', team: ['search', '(unallocated)'] }));
  await ledger.db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readPack(out: string): Record<string, string> {
  return Object.fromEntries(readdirSync(out).map((name) => [name, readFileSync(join(out, name), 'utf8')]));
}

describe('genai-chargeback query and report', () => {
  it('reads the DuckDB file read-only when no service holds it, and through the service when one does', async () => {
    const [direct, pack, badFlag] = await Promise.all([cli(spendArgs), cli(packArgs(join(dir, 'pack-direct'))), cli(['query', 'top-calls', '--db', dbPath, '--since', 'last friday'])]);
    expect(direct.stderr).toContain(`reading ${dbPath} directly (read-only)`);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toBe(expectedCsv);
    expect(pack.code).toBe(0);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('top-calls: since: expected a date like 2026-11-01');

    const directPack = readPack(join(dir, 'pack-direct'));
    expect(Object.keys(directPack).sort()).toEqual(['summary.csv', 'team-ads.csv', 'team-platform.csv', 'team-search.csv', 'team-unallocated.csv']);
    expect(directPack['summary.csv']?.split('\r\n')[0]).toContain('rule,platform_team,price_books');

    // A "service": this process holds the file read-write and answers /v1/reports over HTTP.
    const db = await openDatabase(dbPath);
    const app = new Hono().route('/v1/reports', createReportRoutes({ catalog: await ReportCatalog.load(), run: instanceReportRunner(db.instance) }));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const [viaService, packViaService] = await Promise.all([cli([...spendArgs, '--url', url]), cli([...packArgs(join(dir, 'pack-service')), '--url', url])]);
      expect(viaService.stderr).toContain(`${dbPath} is held by a running service; asking it at ${url}`);
      expect(viaService.code).toBe(0);
      expect(viaService.stdout).toBe(expectedCsv);
      expect(packViaService.code).toBe(0);
      expect(readPack(join(dir, 'pack-service'))).toEqual(directPack);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    }
  });
});
