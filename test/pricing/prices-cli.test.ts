import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repoRoot, 'processor/src/cli/main.ts');

/** The CLI as users run it: a child process (through tsx, so no build is needed). */
async function genaiChargeback(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let dir: string;
let good: string;
let bad: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genai-chargeback-prices-cli-'));
  good = join(dir, 'negotiated.json');
  bad = join(dir, 'bad.json');
  await writeFile(
    good,
    JSON.stringify({
      version: 'msa-7',
      prices: [
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: 1.5, output_per_mtok: 6, source: 'MSA 7' },
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2026-01-01', input_per_mtok: 1.2, output_per_mtok: 4.8, source: 'MSA 7 year 2' },
      ],
    }),
  );
  await writeFile(
    bad,
    JSON.stringify({
      prices: [{ provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: 'two', output_per_mtok: 8 }],
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('genai-chargeback prices', () => {
  it('prints the effective book with user files applied', async () => {
    const { code, stdout } = await genaiChargeback('prices', '--prices', good);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^provider\s+model\s+effective_from\s+input\s+cached\s+cache write\s+cache write 1h\s+output\s+per_request\s+per tool call\s+tiers\s+service tiers\s+book\s+source$/);
    const gpt41 = lines.filter((line) => /^openai\s+gpt-4\.1\s/.test(line));
    expect(gpt41).toHaveLength(2);
    expect(gpt41[0]).toMatch(/^openai\s+gpt-4\.1\s+2025-01-01\s+1\.5\s+= input\s+= input\s+= cache write\s+6\s+0\s+-\s+-\s+-\s+file:negotiated\.json@msa-7\s+MSA 7$/);
    expect(lines.some((line) => /^anthropic\s+claude-sonnet-4-5\s+2025-09-29\s+3\s+0\.3\s+3\.75\s+6\s+15\s+0\s+web_search 0\.01\s+>200000: in 6 cached 0\.6 write 7\.5 write 1h 12 out 22\.5\s+-\s+builtin-2026-11-24\.2\s/.test(line))).toBe(true);
    expect(lines.find((line) => /^openai\s+gpt-4\.1-mini\s/.test(line))).toMatch(/\s0\s+web_search 0\.01; web_search_preview 0\.025; file_search 0\.0025\s/);
    const gpt54 = lines.find((line) => /^openai\s+gpt-5\.4\s/.test(line));
    expect(gpt54).toMatch(
      /\s>272000: in 5 cached 0\.5 out 22\.5\s+flex: in 1\.25 cached 0\.125 out 7\.5 \[>272000: in 2\.5 cached 0\.25 out 11\.25\]; priority: in 5 cached 0\.5 out 30\s+builtin-2026-11-24\.2\s/,
    );
    expect(stdout).toContain('gcp.vertex_ai → gcp.gemini:');
  });

  it('applies the files a config lists, as serve does, before --prices files', async () => {
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ prices: [good] }));
    const gpt41 = (stdout: string) => stdout.split('\n').filter((line) => /^openai\s+gpt-4\.1\s/.test(line));
    const fromConfig = await genaiChargeback('prices', '--config', config);
    expect(fromConfig.code).toBe(0);
    expect(gpt41(fromConfig.stdout).map((line) => line.split(/\s+/).slice(2, 4))).toStrictEqual([
      ['2025-01-01', '1.5'],
      ['2026-01-01', '1.2'],
    ]);
    const overridden = await genaiChargeback('prices', '--config', config, '--prices', bad);
    expect(overridden.code).toBe(2);
    expect(overridden.stderr).toContain(`${bad}: prices[0] (openai gpt-4.1): input_per_mtok:`);
  });

  it('check: exit 0 with the entry count for a valid file', async () => {
    const { code, stdout } = await genaiChargeback('prices', 'check', good);
    expect(code).toBe(0);
    expect(stdout).toBe(`${good}: ok: 2 entries\n`);
  });

  it('check: exit 2 naming the file, the entry and the field for a bad one', async () => {
    const { code, stdout, stderr } = await genaiChargeback('prices', 'check', good, bad);
    expect(code).toBe(2);
    expect(stdout).toBe(`${good}: ok: 2 entries\n`);
    expect(stderr).toBe(
      `genai-chargeback: ${bad}: prices[0] (openai gpt-4.1): input_per_mtok: expected a number >= 0 (USD per million tokens), got "two"\n`,
    );
  });

  it('exit 2 when a --prices file is bad', async () => {
    const { code, stdout, stderr } = await genaiChargeback('prices', '--prices', bad);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${bad}: prices[0] (openai gpt-4.1): input_per_mtok:`);
  });
});
