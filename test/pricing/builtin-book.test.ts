import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtinPriceBookUrl, readBuiltinPriceBook } from '../../processor/src/pricing/price-book.js';
import { parsePriceBookText } from '../../processor/src/pricing/price-book-schema.js';

const text = await readFile(builtinPriceBookUrl, 'utf8');
const raw = JSON.parse(text) as { prices: { provider: string; model: string; source?: string }[] };

describe('the built-in price book', () => {
  it('validates, is versioned, and every entry names its source', async () => {
    const book = parsePriceBookText(text, 'builtin.json');
    expect(book.prices.length).toBe(raw.prices.length);
    expect((await readBuiltinPriceBook()).tag).toMatch(/^builtin-\d{4}-\d{2}-\d{2}(\.\d+)?$/);
    const withoutSource = raw.prices.filter((entry) => typeof entry.source !== 'string' || entry.source.trim().length < 10);
    expect(withoutSource).toEqual([]);
  });

  it('uses the provider names of the GenAI semconv', () => {
    expect(new Set(raw.prices.map((entry) => entry.provider))).toEqual(
      new Set(['openai', 'anthropic', 'gcp.gemini', 'mistral_ai']),
    );
  });

  it('covers the models in use', () => {
    const models = new Set(raw.prices.map((entry) => `${entry.provider} ${entry.model}`));
    const expected = [
      'openai gpt-5', 'openai gpt-5-mini', 'openai gpt-5-nano', 'openai gpt-5.1', 'openai gpt-5.2', 'openai gpt-5.4',
      'openai gpt-5.5', 'openai gpt-4.1', 'openai gpt-4.1-mini', 'openai gpt-4.1-nano', 'openai gpt-4o',
      'openai gpt-4o-2024-05-13', 'openai gpt-4o-mini', 'openai o3', 'openai o3-mini', 'openai o4-mini', 'openai o1',
      'openai text-embedding-3-small', 'openai text-embedding-3-large', 'openai text-embedding-ada-002',
      'anthropic claude-opus-4-8', 'anthropic claude-opus-4-7', 'anthropic claude-opus-4-6', 'anthropic claude-opus-4-5',
      'anthropic claude-opus-4-1', 'anthropic claude-opus-4', 'anthropic claude-sonnet-5', 'anthropic claude-sonnet-4-6',
      'anthropic claude-sonnet-4-5', 'anthropic claude-sonnet-4', 'anthropic claude-3-7-sonnet',
      'anthropic claude-3-5-sonnet', 'anthropic claude-haiku-4-5', 'anthropic claude-3-5-haiku', 'anthropic claude-3-haiku',
      'gcp.gemini gemini-2.5-pro', 'gcp.gemini gemini-2.5-flash', 'gcp.gemini gemini-2.5-flash-lite',
      'gcp.gemini gemini-2.0-flash', 'gcp.gemini gemini-3-pro-preview', 'gcp.gemini gemini-3.1-pro-preview',
      'gcp.gemini gemini-3-flash-preview', 'mistral_ai mistral-large-2512', 'mistral_ai mistral-medium-2508',
      'mistral_ai mistral-medium-2604', 'mistral_ai mistral-small-2603', 'mistral_ai codestral-2508',
    ];
    expect(expected.filter((model) => !models.has(model))).toEqual([]);
  });
});
