import { z } from 'zod';
import { DecimalPrecisionError, decimalText, isDecimal, toScaledExact } from './decimal.js';
import { PriceBookError } from './errors.js';
import { standardServiceTiers } from './service-tier.js';
import { toolType } from './tool-type.js';

/**
 * The price-book file format (DESIGN.md, "Pricing contract"): rates in USD per million tokens, effective-dated
 * entries per (provider, model), optional input-size tiers. Objects are strict so a misspelt rate name is an
 * error rather than a silently missing price.
 */

/** Per-million-token rates may carry 12 decimals: exactly one atto-dollar per token at the finest. */
const perMtokScale = 12;
/** Per-request fees are in USD, kept to the atto-dollar. */
const perRequestScale = 18;

export interface DecimalValue {
  /** As written in the file, for display. */
  text: string;
  /** In atto-dollars (per token for per-million-token rates, per request for fees). */
  atto: bigint;
}

function toDecimalValue(value: number | string, ctx: z.core.$RefinementCtx, scale: number, unit: string): DecimalValue {
  if (!isDecimal(value)) {
    ctx.addIssue({ code: 'custom', message: `expected a number >= 0 (${unit}), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  try {
    return { text: decimalText(value), atto: toScaledExact(value, scale) };
  } catch (error) {
    if (!(error instanceof DecimalPrecisionError)) throw error;
    ctx.addIssue({ code: 'custom', message: `at most ${scale} decimal places (${unit})` });
    return z.NEVER;
  }
}

/** A rate as a JSON number or a decimal string ("0.125"); strings keep more digits than a double would. */
function money(scale: number, unit: string) {
  return z
    .union([z.number(), z.string()], {
      error: (issue) =>
        issue.input === undefined
          ? `required: a number >= 0 (${unit})`
          : `expected a number >= 0 (${unit}), got ${JSON.stringify(issue.input)}`,
    })
    .transform((value, ctx) => toDecimalValue(value, ctx, scale, unit));
}

const perMtokUnit = 'USD per million tokens';
const perMtok = money(perMtokScale, perMtokUnit);
const perRequest = money(perRequestScale, 'USD per request');
const perToolCall = money(perRequestScale, 'USD per tool call');
/** A cache rate; null means "no separate cache price: billed at the input rate". */
const cacheRate = z
  .union([z.number(), z.string(), z.null()], {
    error: (issue) => `expected a number >= 0 (${perMtokUnit}) or null, got ${JSON.stringify(issue.input)}`,
  })
  .transform((value, ctx) => (value === null ? null : toDecimalValue(value, ctx, perMtokScale, perMtokUnit)));

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface EffectiveFrom {
  text: string;
  ms: number;
}

/** A date is UTC midnight; a timestamp must say its zone so the instant is unambiguous. */
const effectiveFrom = z.unknown().transform((value, ctx): EffectiveFrom => {
  const hint = 'expected a date YYYY-MM-DD (UTC midnight) or a timestamp with a zone, e.g. 2025-06-10T17:00:00Z';
  if (typeof value !== 'string') {
    ctx.addIssue({ code: 'custom', message: value === undefined ? `required: ${hint}` : hint });
    return z.NEVER;
  }
  const date = dateOnly.exec(value);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    if (new Date(ms).toISOString().slice(0, 10) === value) return { text: value, ms };
  } else if (timestamp.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return { text: value, ms };
  }
  ctx.addIssue({ code: 'custom', message: `${hint}, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

const name = (what: string) =>
  z.string({ error: `required: ${what}` }).trim().min(1, `must not be empty: ${what}`);

/** Rates a tier or a service tier may replace; those it leaves out are the base rates. */
const rateOverrides = {
  input_per_mtok: perMtok.optional(),
  output_per_mtok: perMtok.optional(),
  cache_read_per_mtok: cacheRate.optional(),
  cache_write_per_mtok: cacheRate.optional(),
  cache_write_1h_per_mtok: cacheRate.optional(),
  per_request: perRequest.optional(),
};

const tierSchema = z
  .object({
    above_input_tokens: z
      .number({ error: 'required: an input-token count; the tier applies when the input exceeds it' })
      .int('expected a whole number of tokens')
      .min(0, 'expected a number >= 0'),
    ...rateOverrides,
  })
  .strict();

/** In lower case, as providers report tiers and as calls are matched, so two spellings cannot name one tier. */
const serviceTierName = name('a service tier as the provider reports it, e.g. "flex"')
  .refine((tier) => tier === tier.toLowerCase(), { message: 'write the tier in lower case, as providers report it (e.g. "flex")' })
  .refine((tier) => !standardServiceTiers.has(tier), {
    message: `the entry's own rates price the standard tier (${[...standardServiceTiers].join(', ')}); name only other tiers`,
  });

/** A service tier's rates (OpenAI Flex, Priority): they replace the base rates they name, for every call on that tier. */
const serviceTierSchema = z
  .object({
    ...rateOverrides,
    /** The tier's own long-context tiers; the entry's do not apply to it (providers price them per service tier). */
    tiers: z.array(tierSchema).default([]),
  })
  .strict();

/** A provider-hosted tool as the provider names its type, without a version date: `web_search`, `web_search_preview`. */
const toolName = name('a tool type as the provider names it, e.g. "web_search"')
  .refine((tool) => tool === tool.toLowerCase(), { message: 'write the tool type in lower case, as providers name it (e.g. "web_search")' })
  .refine((tool) => tool !== tool.toLowerCase() || toolType(tool) === tool, {
    message: 'write the tool type without its version date (e.g. "web_search_preview", not "web_search_preview_2025_03_11"): every version is priced alike',
  });

const entrySchema = z
  .object({
    provider: name('the gen_ai.provider.name the price is for, e.g. "openai"'),
    model: name('the model id, e.g. "gpt-4.1"'),
    effective_from: effectiveFrom,
    input_per_mtok: perMtok,
    output_per_mtok: perMtok,
    cache_read_per_mtok: cacheRate.optional().transform((value) => value ?? null),
    cache_write_per_mtok: cacheRate.optional().transform((value) => value ?? null),
    /** Anthropic's 1-hour cache writes; absent or null: billed at `cache_write_per_mtok`. */
    cache_write_1h_per_mtok: cacheRate.optional().transform((value) => value ?? null),
    per_request: perRequest.optional().transform((value) => value ?? { text: '0', atto: 0n }),
    tiers: z.array(tierSchema).default([]),
    service_tiers: z.record(serviceTierName, serviceTierSchema).default({}),
    /** Fees per call of a provider-hosted tool (web search, file search), on every service tier and long-context tier. */
    per_tool_call: z.record(toolName, perToolCall).default({}),
    /** Other model ids billed under this entry's timeline (e.g. `claude-sonnet-4-0`). */
    aliases: z.array(name('an alias model id')).default([]),
    source: z.string().trim().min(1, 'source must not be empty').optional(),
  })
  .strict();

const providerAliasSchema = z
  .object({
    provider: name('the provider name the alias applies to, e.g. "azure.ai.openai"'),
    prices_as: name('the provider whose prices apply, e.g. "openai"'),
    /** Only these models of `prices_as` (ids as the book names them); absent: every model. */
    models: z.array(name('a model id')).optional(),
    note: z.string().optional(),
  })
  .strict();

export const priceBookFileSchema = z
  .object({
    version: z.string().trim().min(1, 'version must not be empty').optional(),
    currency: z.literal('USD', { error: 'only "USD" is supported' }).default('USD'),
    prices: z.array(entrySchema, { error: 'required: an array of price entries' }),
    provider_aliases: z.array(providerAliasSchema).default([]),
  })
  .strict()
  .superRefine((book, ctx) => {
    const seen = new Map<string, number>();
    book.prices.forEach((entry, index) => {
      const key = `${entry.provider.toLowerCase()}\n${entry.model.toLowerCase()}\n${entry.effective_from.ms}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['prices', index, 'effective_from'],
          message: `same provider, model and effective_from as prices[${first}]: remove one or change its date`,
        });
      } else seen.set(key, index);
      checkThresholds(entry.tiers, ['prices', index, 'tiers'], ctx);
      for (const [tier, rates] of Object.entries(entry.service_tiers)) {
        checkThresholds(rates.tiers, ['prices', index, 'service_tiers', tier, 'tiers'], ctx);
      }
    });
  });

function checkThresholds(
  tiers: readonly { above_input_tokens: number }[],
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
): void {
  const thresholds = new Set<number>();
  tiers.forEach((tier, tierIndex) => {
    if (thresholds.has(tier.above_input_tokens)) {
      ctx.addIssue({ code: 'custom', path: [...path, tierIndex, 'above_input_tokens'], message: 'two tiers with the same threshold' });
    }
    thresholds.add(tier.above_input_tokens);
  });
}

export type PriceBookFile = z.output<typeof priceBookFileSchema>;
export type PriceBookFileEntry = PriceBookFile['prices'][number];
export type PriceBookFileTier = PriceBookFileEntry['tiers'][number];
export type ProviderAlias = PriceBookFile['provider_aliases'][number];

/** Validates a parsed JSON document; errors read "prices[3] (openai gpt-4.1): input_per_mtok: expected …". */
export function parsePriceBookDocument(document: unknown, file: string): PriceBookFile {
  const result = priceBookFileSchema.safeParse(document);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 20).map((issue) => describeIssue(document, issue));
  if (result.error.issues.length > 20) problems.push(`… and ${result.error.issues.length - 20} more problems`);
  throw new PriceBookError(file, problems);
}

/** Parses and validates the text of a price-book file. */
export function parsePriceBookText(text: string, file: string): PriceBookFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PriceBookError(file, [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parsePriceBookDocument(document, file);
}

function describeIssue(document: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: check the spelling (see prices/README.md)`
      : issue.code === 'invalid_key'
        ? issue.issues.map((keyIssue) => keyIssue.message).join('; ')
        : issue.message;
  if (path[0] === 'prices' && typeof path[1] === 'number') {
    const field = formatPath(path.slice(2));
    return `prices[${path[1]}]${entryLabel(document, path[1])}: ${field === '' ? '' : `${field}: `}${message}`;
  }
  const field = formatPath(path);
  return field === '' ? message : `${field}: ${message}`;
}

/** " (openai gpt-4.1)" from the raw entry, so the user can find it without counting. */
function entryLabel(document: unknown, index: number): string {
  const prices = (document as { prices?: unknown } | null)?.prices;
  const entry = Array.isArray(prices) ? (prices[index] as { provider?: unknown; model?: unknown } | undefined) : undefined;
  const parts = [entry?.provider, entry?.model].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length === 0 ? '' : ` (${parts.join(' ')})`;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? key : `${text}.${key}`),
    '',
  );
}
