import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportFormatError } from '../../processor/src/reconcile/errors.js';
import { parseCostReport, parseUsageReport, readCostFile, readUsageFile } from '../../processor/src/reconcile/parse/read-report.js';
import { splitLineItem } from '../../processor/src/reconcile/parse/openai.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function formatError(run: () => unknown): ReportFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof ReportFormatError) return error;
    throw error;
  }
  throw new Error('expected a ReportFormatError');
}

describe('OpenAI usage pages', () => {
  it('reads the 2026 field set: uncached, cached and cache-write input apart, dated models, every day', async () => {
    const usage = await readUsageFile('openai', join(fixtures, 'openai/usage-completions.json'));
    expect([...usage.days].sort()).toEqual(['2025-08-01', '2025-08-02']);
    expect(usage.records).toHaveLength(3);
    expect(usage.records[0]).toEqual({
      day: '2025-08-01',
      model: 'gpt-4.1-2025-04-14',
      projectId: 'proj_Yq3TtR8mVb2KxN7wLp0sHc4D',
      apiKeyId: null,
      tier: null,
      requests: 10n,
      tokens: { input: 3_000_000n, cache_read: 2_000_000n, cache_write: 0n, output: 500_000n },
    });
  });

  it('reads the 2025 field set (total input incl. cached, `result` array) and embeddings, in JSON Lines', () => {
    const lines = [
      JSON.stringify({
        object: 'page',
        data: [
          {
            object: 'bucket',
            start_time: 1736553600,
            end_time: 1736640000,
            result: [
              { object: 'organization.usage.completions.result', input_tokens: 1200, input_cached_tokens: 200, output_tokens: 90, num_model_requests: 3, model: 'gpt-4o-mini-2024-07-18', batch: true, project_id: null, api_key_id: null, user_id: null },
            ],
          },
        ],
        has_more: true,
        next_page: 'page_AAAA',
      }),
      JSON.stringify({
        object: 'page',
        data: [{ object: 'bucket', start_time: 1736640000, end_time: 1736726400, results: [{ object: 'organization.usage.embeddings.result', input_tokens: 5203118, num_model_requests: 8840, model: 'text-embedding-3-small', project_id: null, api_key_id: null, user_id: null }] }],
        has_more: false,
        next_page: null,
      }),
    ];
    const usage = parseUsageReport('openai', `${lines.join('\n')}\n`, 'pages.jsonl');
    expect(usage.records.map((r) => [r.day, r.model, r.tier, r.requests, r.tokens])).toEqual([
      ['2025-01-11', 'gpt-4o-mini-2024-07-18', 'batch', 3n, { input: 1000n, cache_read: 200n, cache_write: 0n, output: 90n }],
      ['2025-01-12', 'text-embedding-3-small', null, 8840n, { input: 5_203_118n, cache_read: 0n, cache_write: 0n, output: 0n }],
    ]);
  });

  it("notes OpenAI's partial first bucket (it starts at the requested time, not at midnight)", () => {
    const page = { object: 'page', data: [{ object: 'bucket', start_time: 1736616660, end_time: 1736640000, results: [] }], has_more: false, next_page: null };
    const usage = parseUsageReport('openai', JSON.stringify(page), 'partial.json');
    expect(usage.days).toEqual(new Set(['2025-01-11']));
    expect(usage.notes).toEqual(["the provider's bucket for 2025-01-11 starts at 17:31 UTC, so its figures cover part of that day"]);
  });

  it('names the line and column of a truncated file', async () => {
    const file = join(fixtures, 'openai/usage-truncated.json');
    const lineCount = (await readFile(file, 'utf8')).split('\n').length;
    const error = await readUsageFile('openai', file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReportFormatError);
    expect((error as ReportFormatError).line).toBe(lineCount);
    expect((error as ReportFormatError).message).toMatch(new RegExp(`usage-truncated.json line ${lineCount}: not valid JSON at column \\d+: .* the file looks truncated$`));
  });

  it('names the line and the field of a value of the wrong type', async () => {
    const text = await readFile(join(fixtures, 'openai/usage-completions.json'), 'utf8');
    const broken = text.replace('"output_tokens": 50000,', '"output_tokens": "lots",');
    const line = broken.split('\n').findIndex((l) => l.includes('"lots"')) + 1;
    const error = formatError(() => parseUsageReport('openai', broken, 'usage.json'));
    expect(error.line).toBe(line);
    expect(error.message).toBe(`usage.json line ${line}: data[0].results[1].output_tokens: expected a number (expected an OpenAI Usage API page from /v1/organization/usage/completions or /usage/embeddings)`);
  });

  it('rejects negative and fractional counts, and a cost page passed as usage', async () => {
    const fractional = { object: 'page', data: [{ start_time: 1754006400, end_time: 1754092800, results: [{ object: 'organization.usage.completions.result', input_tokens: 10.5, output_tokens: 1, num_model_requests: 1 }] }] };
    expect(formatError(() => parseUsageReport('openai', JSON.stringify(fractional), 'f.json')).message).toContain(
      'data[0].results[0].input_tokens: expected a whole non-negative number, got 10.5',
    );
    const costs = await readFile(join(fixtures, 'openai/costs.json'), 'utf8');
    expect(formatError(() => parseUsageReport('openai', costs, 'costs.json')).message).toContain('a cost report goes to --costs');
  });
});

describe('OpenAI costs', () => {
  it('splits "<model>, <component>" line items and keeps float dollars exact', async () => {
    const costs = await readCostFile('openai', join(fixtures, 'openai/costs-discount.json'));
    expect(costs.records.filter((r) => r.day === '2025-08-01').map((r) => [r.model, r.component, r.amountNanos, r.quantityTokens])).toEqual([
      ['gpt-4.1-2025-04-14', 'input', 4_800_000_000n, 3_000_000n],
      ['gpt-4.1-2025-04-14', 'cache_read', 800_000_000n, 2_000_000n],
      ['gpt-4.1-2025-04-14', 'output', 3_200_000_000n, 500_000n],
      ['gpt-4.1-mini-2025-04-14', 'input', 160_000_000n, 500_000n],
      ['gpt-4.1-mini-2025-04-14', 'output', 64_000_000n, 50_000n],
    ]);
  });

  it('treats labels that are not "<model>, <component>" as non-model charges', () => {
    expect(splitLineItem('Image models')).toEqual({ model: null, component: 'other', tier: null });
    expect(splitLineItem('gpt-4o, cached input')).toEqual({ model: 'gpt-4o', component: 'cache_read', tier: null });
    expect(splitLineItem('gpt-4o-2024-08-06, batch input')).toEqual({ model: 'gpt-4o-2024-08-06', component: 'input', tier: 'batch' });
    expect(splitLineItem('assistants api | file search, storage')).toEqual({ model: null, component: 'other', tier: null });
  });

  it('reads the dashboard Cost CSV export by column name, with the same result as the API', async () => {
    const fromCsv = await readCostFile('openai', join(fixtures, 'openai/costs.csv'));
    const fromApi = await readCostFile('openai', join(fixtures, 'openai/costs.json'));
    expect(fromCsv.records).toEqual(fromApi.records.map((r) => ({ ...r, quantityTokens: null })));
    expect(fromCsv.days).toEqual(fromApi.days);
  });

  it('names the CSV line of a bad amount and of a broken quote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reconcile-csv-'));
    const good = await readFile(join(fixtures, 'openai/costs.csv'), 'utf8');
    const badAmount = join(dir, 'bad-amount.csv');
    await writeFile(badAmount, good.replace(',1.0,usd,', ',1.0.0,usd,'));
    await expect(readCostFile('openai', badAmount)).rejects.toThrow(`${badAmount} line 3: amount_value: expected a decimal number, got "1.0.0"`);
    const badQuote = join(dir, 'bad-quote.csv');
    await writeFile(badQuote, good.replace('"gpt-4.1-2025-04-14, output"', '"gpt-4.1-2025-04-14, output'));
    await expect(readCostFile('openai', badQuote)).rejects.toThrow(/bad-quote\.csv line \d+: not valid CSV: /);
  });
});

describe('Anthropic reports', () => {
  it('reads usage with nested cache creation, the default workspace as null, and no request count', async () => {
    const usage = await readUsageFile('anthropic', join(fixtures, 'anthropic/usage.json'));
    expect(usage.days).toEqual(new Set(['2025-08-01', '2025-08-02']));
    expect(usage.records).toEqual([
      { day: '2025-08-01', model: 'claude-sonnet-4-20250514', projectId: 'wrkspc_01HqR7uN3vXe9TbM2cKa5YdW', apiKeyId: null, tier: 'standard', requests: null, tokens: { input: 400_000n, cache_read: 1_600_000n, cache_write: 80_000n, output: 40_000n } },
      { day: '2025-08-01', model: 'claude-3-5-haiku-20241022', projectId: null, apiKeyId: null, tier: 'batch', requests: null, tokens: { input: 120_000n, cache_read: 0n, cache_write: 0n, output: 40_000n } },
    ]);
  });

  it('reads cost amounts as cents and keeps non-token charges without a model', async () => {
    const costs = await readCostFile('anthropic', join(fixtures, 'anthropic/costs.json'));
    expect(costs.records.map((r) => [r.model, r.component, r.amountNanos])).toEqual([
      ['claude-sonnet-4-20250514', 'input', 1_200_000_000n],
      ['claude-sonnet-4-20250514', 'cache_read', 480_000_000n],
      ['claude-sonnet-4-20250514', 'cache_write', 300_000_000n],
      ['claude-sonnet-4-20250514', 'output', 600_000_000n],
      ['claude-3-5-haiku-20241022', 'input', 48_000_000n],
      ['claude-3-5-haiku-20241022', 'output', 80_000_000n],
      [null, 'other', 140_000_000n],
    ]);
  });

  // A missing field is reported at the line of the object that should hold it (results[0] opens on line 7).
  it('rejects a flat cache_creation_input_tokens (the Messages API shape) and a non-USD amount', () => {
    const flat = { data: [{ starting_at: '2025-08-01T00:00:00Z', ending_at: '2025-08-02T00:00:00Z', results: [{ uncached_input_tokens: 1, cache_creation_input_tokens: 5, cache_read_input_tokens: 0, output_tokens: 1 }] }], has_more: false, next_page: null };
    expect(formatError(() => parseUsageReport('anthropic', JSON.stringify(flat, null, 2), 'u.json')).message).toBe(
      'u.json line 7: data[0].results[0].cache_creation: expected the cache_creation object {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens} (expected an Anthropic usage report page from /v1/organizations/usage_report/messages)',
    );
    const euro = { data: [{ starting_at: '2025-08-01T00:00:00Z', ending_at: '2025-08-02T00:00:00Z', results: [{ amount: '10', currency: 'EUR' }] }] };
    expect(formatError(() => parseCostReport('anthropic', JSON.stringify(euro), 'c.json')).message).toContain('data[0].results[0].currency: only USD amounts are supported');
  });

  it('says an empty file is empty', () => {
    expect(formatError(() => parseUsageReport('anthropic', '  \n', 'empty.json')).message).toBe('empty.json: the file is empty');
  });
});
