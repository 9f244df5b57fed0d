import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceBookError } from '../../processor/src/pricing/errors.js';
import { loadPriceBook, type PriceBook } from '../../processor/src/pricing/price-book.js';

let builtin: PriceBook;
let dir: string;

beforeAll(async () => {
  builtin = await loadPriceBook([]);
  dir = await mkdtemp(join(tmpdir(), 'genai-chargeback-prices-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeBook(name: string, book: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(book));
  return path;
}

const priceIdAt = (book: PriceBook, provider: string, model: string, at: string) =>
  book.lookup(provider, model, new Date(at))?.priceId ?? null;

describe('built-in book lookups', () => {
  it('applies the o3 price cut from 2025-06-10 (UTC midnight)', () => {
    expect(priceIdAt(builtin, 'openai', 'o3', '2025-06-09T23:59:59.999Z')).toBe('openai/o3@2025-04-16#builtin-2026-11-24.2');
    expect(priceIdAt(builtin, 'openai', 'o3-2025-04-16', '2025-06-10T00:00:00Z')).toBe(
      'openai/o3@2025-06-10#builtin-2026-11-24.2',
    );
    expect(builtin.lookup('openai', 'o3', new Date('2025-06-09T12:00:00Z'))?.display.input).toBe('10');
    expect(builtin.lookup('openai', 'o3', new Date('2025-06-10T12:00:00Z'))?.display.input).toBe('2');
  });

  it('resolves dated and -latest ids to their base entry', () => {
    const at = '2025-12-01T00:00:00Z';
    expect(priceIdAt(builtin, 'openai', 'gpt-4.1-2025-04-14', at)).toBe('openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2');
    expect(priceIdAt(builtin, 'anthropic', 'claude-sonnet-4-5-20250929', at)).toBe(
      'anthropic/claude-sonnet-4-5@2025-09-29#builtin-2026-11-24.2',
    );
    expect(priceIdAt(builtin, 'anthropic', 'claude-3-5-sonnet-20241022', at)).toMatch(/^anthropic\/claude-3-5-sonnet@/);
    expect(priceIdAt(builtin, 'anthropic', 'claude-3-5-haiku-latest', at)).toMatch(/^anthropic\/claude-3-5-haiku@2024-12-16#/);
    expect(priceIdAt(builtin, 'anthropic', 'claude-sonnet-4-0', at)).toMatch(/^anthropic\/claude-sonnet-4@/);
    expect(priceIdAt(builtin, 'gcp.gemini', 'gemini-2.0-flash-001', at)).toMatch(/^gcp\.gemini\/gemini-2\.0-flash@/);
  });

  it('keeps the exact id first: gpt-4o-2024-05-13 has its own price, other snapshots take gpt-4o', () => {
    const at = new Date('2025-01-15T00:00:00Z');
    expect(builtin.lookup('openai', 'gpt-4o-2024-05-13', at)?.display).toMatchObject({ input: '5', output: '15' });
    expect(builtin.lookup('openai', 'gpt-4o-2024-11-20', at)?.priceId).toBe('openai/gpt-4o@2024-08-06#builtin-2026-11-24.2');
  });

  it('tolerates provider prefixes in model names and case differences', () => {
    const at = '2025-08-01T00:00:00Z';
    expect(priceIdAt(builtin, 'openai', 'openai/gpt-4.1', at)).toMatch(/^openai\/gpt-4\.1@/);
    expect(priceIdAt(builtin, 'gcp.gemini', 'models/gemini-2.5-pro', at)).toMatch(/^gcp\.gemini\/gemini-2\.5-pro@/);
    expect(priceIdAt(builtin, 'OpenAI', 'GPT-4.1', at)).toMatch(/^openai\/gpt-4\.1@/);
  });

  it('never prices fine-tunes, unknown models or four-digit Mistral versions as something else', () => {
    const at = '2026-01-01T00:00:00Z';
    expect(priceIdAt(builtin, 'openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123', at)).toBeNull();
    expect(priceIdAt(builtin, 'openai', 'gpt-9-turbo', at)).toBeNull();
    expect(priceIdAt(builtin, 'mistral_ai', 'mistral-large-2407', at)).toBeNull();
    expect(builtin.lookup('mistral_ai', 'mistral-large-2411', new Date(at))?.display.input).toBe('2');
    expect(builtin.lookup('mistral_ai', 'mistral-large-2512', new Date(at))?.display.input).toBe('0.5');
  });

  it('prices provider aliases only where the list price is the same', () => {
    const at = '2025-08-01T00:00:00Z';
    expect(priceIdAt(builtin, 'azure.ai.openai', 'gpt-4.1-2025-04-14', at)).toBe('openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2');
    expect(priceIdAt(builtin, 'gcp.vertex_ai', 'gemini-2.5-pro', at)).toMatch(/^gcp\.gemini\/gemini-2\.5-pro@/);
    expect(priceIdAt(builtin, 'gcp.vertex_ai', 'gemini-2.0-flash', at)).toBeNull();
    expect(priceIdAt(builtin, 'aws.bedrock', 'anthropic.claude-sonnet-4-20250514-v1:0', at)).toBeNull();
  });

  it('leaves calls before the first entry of a timeline without a price', () => {
    expect(priceIdAt(builtin, 'openai', 'gpt-4.1', '2025-04-13T23:59:59Z')).toBeNull();
  });
});

describe('user price files', () => {
  it('replace the built-in timeline of every model they name, dated ids included', async () => {
    const negotiated = await writeBook('negotiated.json', {
      version: '2025-q3',
      currency: 'USD',
      prices: [
        {
          provider: 'openai',
          model: 'gpt-4.1',
          effective_from: '2025-07-01T00:00:00+02:00',
          input_per_mtok: 1.5,
          output_per_mtok: 6,
          source: 'contract 42',
        },
      ],
    });
    const book = await loadPriceBook([negotiated]);
    const entry = book.lookup('openai', 'gpt-4.1-2025-04-14', new Date('2025-08-01T00:00:00Z'));
    expect(entry?.priceId).toBe('openai/gpt-4.1@2025-07-01T00:00:00+02:00#file:negotiated.json@2025-q3');
    expect(entry?.display).toMatchObject({ input: '1.5', output: '6', cacheRead: null });
    // The whole built-in timeline is gone: before the negotiated date there is no price at all.
    expect(book.lookup('openai', 'gpt-4.1', new Date('2025-06-30T21:59:59Z'))).toBeUndefined();
    expect(book.lookup('openai', 'gpt-4.1', new Date('2025-06-30T22:00:00Z'))?.book).toBe('file:negotiated.json@2025-q3');
    // Models the file does not name keep the built-in price.
    expect(book.lookup('openai', 'gpt-4.1-mini', new Date('2025-08-01T00:00:00Z'))?.book).toBe('builtin-2026-11-24.2');
  });

  it('apply in order: a later file replaces an earlier one, and an unversioned file is named by its content hash', async () => {
    const first = await writeBook('first.json', {
      prices: [{ provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: 1, output_per_mtok: 4 }],
    });
    const second = await writeBook('second.json', {
      prices: [
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-03-01', input_per_mtok: 0.9, output_per_mtok: 3.6 },
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: 1.1, output_per_mtok: 4.4 },
      ],
    });
    const book = await loadPriceBook([first, second]);
    expect(book.lookup('openai', 'gpt-4.1', new Date('2025-02-01T00:00:00Z'))?.display.input).toBe('1.1');
    const march = book.lookup('openai', 'gpt-4.1', new Date('2025-03-01T00:00:00Z'));
    expect(march?.display.input).toBe('0.9');
    expect(march?.priceId).toMatch(/^openai\/gpt-4\.1@2025-03-01#file:second\.json@sha256:[0-9a-f]{12}$/);
  });

  it('can price providers the built-in book leaves alone', async () => {
    const bedrock = await writeBook('bedrock.json', {
      prices: [
        {
          provider: 'aws.bedrock',
          model: 'anthropic.claude-sonnet-4-20250514-v1:0',
          aliases: ['us.anthropic.claude-sonnet-4-20250514-v1:0'],
          effective_from: '2025-05-22',
          input_per_mtok: 3,
          output_per_mtok: 15,
        },
      ],
    });
    const book = await loadPriceBook([bedrock]);
    expect(book.lookup('aws.bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', new Date('2025-06-01'))?.model).toBe(
      'anthropic.claude-sonnet-4-20250514-v1:0',
    );
  });

  it('fail with the file, the entry and the field named', async () => {
    const bad = await writeBook('bad.json', {
      currency: 'USD',
      prices: [
        { provider: 'openai', model: 'gpt-4o', effective_from: '2025-01-01', input_per_mtok: 1, output_per_mtok: 2 },
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: -2, output_per_mtok: 8 },
        { provider: 'openai', model: 'o3', effective_from: '2025-02-30', input_per_mtok: 2, output_per_mtok: 8 },
        { provider: 'openai', model: 'o4-mini', effective_from: '2025-01-01', input_per_mtok: 1, output_pr_mtok: 4 },
      ],
    });
    const error = await loadPriceBook([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PriceBookError);
    const lines = (error as PriceBookError).message.split('\n');
    expect(lines).toContain(
      `${bad}: prices[1] (openai gpt-4.1): input_per_mtok: expected a number >= 0 (USD per million tokens), got -2`,
    );
    expect(lines.some((line) => line.startsWith(`${bad}: prices[2] (openai o3): effective_from: expected a date`))).toBe(true);
    expect(lines).toContain(`${bad}: prices[3] (openai o4-mini): output_per_mtok: required: a number >= 0 (USD per million tokens)`);
    expect(lines).toContain(
      `${bad}: prices[3] (openai o4-mini): unknown field "output_pr_mtok": check the spelling (see prices/README.md)`,
    );
    expect(lines).toHaveLength(4);
  });

  it('reject rates that cannot be represented exactly and other currencies', async () => {
    const bad = await writeBook('precise.json', {
      currency: 'EUR',
      prices: [
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: '0.0000000000001', output_per_mtok: 8 },
      ],
    });
    const message = String(await loadPriceBook([bad]).catch((e: unknown) => (e as Error).message));
    expect(message).toBe(
      `${bad}: currency: only "USD" is supported\n` +
        `${bad}: prices[0] (openai gpt-4.1): input_per_mtok: at most 12 decimal places (USD per million tokens)`,
    );
  });

  it('reject two entries for the same model and instant', async () => {
    const bad = await writeBook('duplicate.json', {
      prices: [
        { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-01-01', input_per_mtok: 2, output_per_mtok: 8 },
        { provider: 'OpenAI', model: 'gpt-4.1', effective_from: '2025-01-01T00:00:00Z', input_per_mtok: 1, output_per_mtok: 4 },
      ],
    });
    await expect(loadPriceBook([bad])).rejects.toThrow(
      `${bad}: prices[1] (OpenAI gpt-4.1): effective_from: same provider, model and effective_from as prices[0]`,
    );
  });

  it('report a missing file as a problem with that file', async () => {
    const missing = join(dir, 'nope.json');
    await expect(loadPriceBook([missing])).rejects.toThrow(`${missing}: cannot read the file (ENOENT)`);
  });
});
