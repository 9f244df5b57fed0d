import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RateCard, Rates, RateTier } from './compute-cost.js';
import { PriceBookError } from './errors.js';
import { modelCandidates } from './model-id.js';
import {
  parsePriceBookText,
  type DecimalValue,
  type PriceBookFile,
  type PriceBookFileEntry,
  type PriceBookFileTier,
} from './price-book-schema.js';

/** The built-in book ships as data beside the code: processor/prices/builtin.json (from src/ and from dist/). */
export const builtinPriceBookUrl = new URL('../../prices/builtin.json', import.meta.url);

export interface TierDisplay {
  aboveInputTokens: number;
  /** Only the rates the tier overrides, as written. */
  input?: string;
  output?: string;
  cacheRead?: string | null;
  cacheWrite?: string | null;
  cacheWrite1h?: string | null;
  perRequest?: string;
}

/** The rates of one service tier (OpenAI Flex, Priority) of an entry. */
export interface ServiceTierCard extends RateCard {
  /** The entry's price id with the tier, e.g. `openai/gpt-5@2025-08-07~flex#builtin-2026-11-24.2`. */
  priceId: string;
  /** Only the rates the service tier overrides, as written, and its own long-context tiers. */
  display: Omit<TierDisplay, 'aboveInputTokens'> & { tiers: TierDisplay[] };
}

/** One effective-dated price, ready to compute with. */
export interface PriceEntry extends RateCard {
  /** Which entry of which book version priced a call, e.g. `openai/gpt-4.1@2025-04-14#builtin-2026-11-24.2`. */
  priceId: string;
  provider: string;
  model: string;
  effectiveFrom: string;
  effectiveFromMs: number;
  /** The rates as written in the file (USD per million tokens; per request in USD); null cache rate = input rate. */
  display: {
    input: string;
    output: string;
    cacheRead: string | null;
    cacheWrite: string | null;
    /** null: 1-hour cache writes are billed at the cache-write rate. */
    cacheWrite1h: string | null;
    perRequest: string;
    tiers: TierDisplay[];
  };
  /** Rates for calls on a non-standard service tier, by the tier's name (lower case). */
  serviceTiers: ReadonlyMap<string, ServiceTierCard>;
  /** Fees per call of a provider-hosted tool, by tool type (`web_search`): USD as written, and atto-dollars. */
  perToolCall: ReadonlyMap<string, DecimalValue>;
  /** Other model ids this entry's timeline bills (its `aliases`). */
  aliases: readonly string[];
  source: string | null;
  /** `builtin-<version>` or `file:<name>@<version or content hash>`. */
  book: string;
}

/** A validated book file and the tag its price ids carry. */
export interface LoadedBookFile {
  tag: string;
  book: PriceBookFile;
}

export interface ProviderAliasRule {
  provider: string;
  pricesAs: string;
  /** Model ids (lower case) of `pricesAs` the alias may use; null: all. */
  models: ReadonlySet<string> | null;
  note: string | null;
}

const resolutionCacheLimit = 20_000;

/**
 * The effective price book: the built-in book with user files applied in order. A file replaces the whole
 * timeline of every (provider, model) it names. Lookups are Map hits, memoised per (provider, model id).
 */
export class PriceBook {
  private readonly timelines = new Map<string, PriceEntry[]>();
  /** provider\nalias id → provider\nmodel key of the timeline it bills under. */
  private readonly modelAliases = new Map<string, string>();
  private readonly providerAliasRules = new Map<string, ProviderAliasRule>();
  private readonly resolutions = new Map<string, readonly PriceEntry[] | null>();

  constructor(readonly files: readonly LoadedBookFile[]) {
    for (const { tag, book } of files) this.apply(tag, book);
  }

  /** Every entry of every timeline in force, sorted by provider, model and date. */
  entries(): PriceEntry[] {
    return [...this.timelines.values()]
      .flat()
      .sort(
        (a, b) =>
          a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model) || a.effectiveFromMs - b.effectiveFromMs,
      );
  }

  providerAliases(): ProviderAliasRule[] {
    return [...this.providerAliasRules.values()];
  }

  /** The timeline (oldest first) that prices this provider's model id, or null when the book has none. */
  timeline(provider: string, model: string): readonly PriceEntry[] | null {
    const memoKey = `${provider}\n${model}`;
    const memo = this.resolutions.get(memoKey);
    if (memo !== undefined) return memo;
    const resolved = this.resolve(provider.trim().toLowerCase(), modelCandidates(model));
    // Model ids come from spans: bound the memo so a flood of distinct ids cannot grow it without limit.
    if (this.resolutions.size >= resolutionCacheLimit) this.resolutions.clear();
    this.resolutions.set(memoKey, resolved);
    return resolved;
  }

  /** The entry in force at `at`: effective_from ≤ at < the next entry's effective_from. */
  lookup(provider: string, model: string, at: Date): PriceEntry | undefined {
    const timeline = this.timeline(provider, model);
    return timeline === null ? undefined : entryInForce(timeline, at.getTime());
  }

  private resolve(provider: string, candidates: readonly string[]): readonly PriceEntry[] | null {
    const own = this.find(provider, candidates, null);
    if (own !== null) return own;
    const alias = this.providerAliasRules.get(provider);
    return alias === undefined ? null : this.find(alias.pricesAs, candidates, alias.models);
  }

  private find(provider: string, candidates: readonly string[], allowed: ReadonlySet<string> | null) {
    for (const candidate of candidates) {
      const key = timelineKey(provider, candidate);
      const target = this.timelines.has(key) ? key : this.modelAliases.get(key);
      if (target === undefined) continue;
      if (allowed !== null && !allowed.has(target.slice(provider.length + 1))) continue;
      return this.timelines.get(target) ?? null;
    }
    return null;
  }

  private apply(tag: string, book: PriceBookFile): void {
    const replaced = new Map<string, PriceEntry[]>();
    for (const raw of book.prices) {
      const entry = toPriceEntry(raw, tag);
      const key = timelineKey(entry.provider, entry.model);
      const timeline = replaced.get(key) ?? [];
      timeline.push(entry);
      replaced.set(key, timeline);
      for (const alias of raw.aliases) this.modelAliases.set(timelineKey(entry.provider, alias), key);
    }
    for (const [key, timeline] of replaced) {
      this.timelines.set(key, timeline.sort((a, b) => a.effectiveFromMs - b.effectiveFromMs));
    }
    for (const rule of book.provider_aliases) {
      const provider = rule.provider.toLowerCase();
      this.providerAliasRules.set(provider, {
        provider,
        pricesAs: rule.prices_as.toLowerCase(),
        models: rule.models === undefined ? null : new Set(rule.models.map((model) => model.toLowerCase())),
        note: rule.note ?? null,
      });
    }
    this.resolutions.clear();
  }
}

export function entryInForce(timeline: readonly PriceEntry[], atMs: number): PriceEntry | undefined {
  for (let i = timeline.length - 1; i >= 0; i -= 1) {
    const entry = timeline[i];
    if (entry !== undefined && entry.effectiveFromMs <= atMs) return entry;
  }
  return undefined;
}

function timelineKey(provider: string, model: string): string {
  return `${provider.toLowerCase()}\n${model.toLowerCase()}`;
}

function toPriceEntry(raw: PriceBookFileEntry, tag: string): PriceEntry {
  const rates: Rates = {
    input: raw.input_per_mtok.atto,
    output: raw.output_per_mtok.atto,
    cacheRead: raw.cache_read_per_mtok?.atto ?? null,
    cacheWrite: raw.cache_write_per_mtok?.atto ?? null,
    cacheWrite1h: raw.cache_write_1h_per_mtok?.atto ?? null,
    perRequest: raw.per_request.atto,
  };
  const priceId = (tier: string) => `${raw.provider}/${raw.model}@${raw.effective_from.text}${tier}#${tag}`;
  const serviceTiers = new Map<string, ServiceTierCard>();
  for (const [name, serviceTier] of Object.entries(raw.service_tiers)) {
    const tierRates = overridden(rates, serviceTier);
    serviceTiers.set(name, {
      priceId: priceId(`~${name}`),
      rates: tierRates,
      tiers: rateTiers(tierRates, serviceTier.tiers),
      display: { ...overridesDisplay(serviceTier), tiers: tierDisplays(serviceTier.tiers) },
    });
  }
  return {
    priceId: priceId(''),
    provider: raw.provider,
    model: raw.model,
    effectiveFrom: raw.effective_from.text,
    effectiveFromMs: raw.effective_from.ms,
    rates,
    tiers: rateTiers(rates, raw.tiers),
    display: {
      input: raw.input_per_mtok.text,
      output: raw.output_per_mtok.text,
      cacheRead: raw.cache_read_per_mtok?.text ?? null,
      cacheWrite: raw.cache_write_per_mtok?.text ?? null,
      cacheWrite1h: raw.cache_write_1h_per_mtok?.text ?? null,
      perRequest: raw.per_request.text,
      tiers: tierDisplays(raw.tiers),
    },
    serviceTiers,
    perToolCall: new Map(Object.entries(raw.per_tool_call)),
    aliases: raw.aliases,
    source: raw.source ?? null,
    book: tag,
  };
}

type RateOverrides = Omit<PriceBookFileTier, 'above_input_tokens'>;

/**
 * `base` with the rates `overrides` names replaced; an explicit null cache rate means "billed at the input rate".
 * A new cache-write rate without a 1-hour one bills 1-hour writes at it: never below the 5-minute writes it replaced.
 */
function overridden(base: Rates, overrides: RateOverrides): Rates {
  return {
    input: overrides.input_per_mtok?.atto ?? base.input,
    output: overrides.output_per_mtok?.atto ?? base.output,
    cacheRead: overrides.cache_read_per_mtok === undefined ? base.cacheRead : (overrides.cache_read_per_mtok?.atto ?? null),
    cacheWrite: overrides.cache_write_per_mtok === undefined ? base.cacheWrite : (overrides.cache_write_per_mtok?.atto ?? null),
    cacheWrite1h:
      overrides.cache_write_1h_per_mtok !== undefined
        ? (overrides.cache_write_1h_per_mtok?.atto ?? null)
        : overrides.cache_write_per_mtok !== undefined
          ? null
          : base.cacheWrite1h,
    perRequest: overrides.per_request?.atto ?? base.perRequest,
  };
}

/** Highest threshold first, each tier's rates being `base` with its overrides. */
function rateTiers(base: Rates, tiers: readonly PriceBookFileTier[]): RateTier[] {
  return tiers
    .map((tier) => ({ aboveInputTokens: tier.above_input_tokens, rates: overridden(base, tier) }))
    .sort((a, b) => b.aboveInputTokens - a.aboveInputTokens);
}

function tierDisplays(tiers: readonly PriceBookFileTier[]): TierDisplay[] {
  return tiers
    .map((tier) => ({ aboveInputTokens: tier.above_input_tokens, ...overridesDisplay(tier) }))
    .sort((a, b) => a.aboveInputTokens - b.aboveInputTokens);
}

function overridesDisplay(overrides: RateOverrides): Omit<TierDisplay, 'aboveInputTokens'> {
  return {
    ...(overrides.input_per_mtok && { input: overrides.input_per_mtok.text }),
    ...(overrides.output_per_mtok && { output: overrides.output_per_mtok.text }),
    ...(overrides.cache_read_per_mtok !== undefined && { cacheRead: overrides.cache_read_per_mtok?.text ?? null }),
    ...(overrides.cache_write_per_mtok !== undefined && { cacheWrite: overrides.cache_write_per_mtok?.text ?? null }),
    ...(overrides.cache_write_1h_per_mtok !== undefined && { cacheWrite1h: overrides.cache_write_1h_per_mtok?.text ?? null }),
    ...(overrides.per_request && { perRequest: overrides.per_request.text }),
  };
}

async function readText(path: string | URL, label: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new PriceBookError(label, [`cannot read the file (${reason}): check the path`]);
  }
}

/**
 * Reads and validates one user price-book file. Its price ids carry `file:<name>@<version>`, or the first
 * 12 hex digits of the content's SHA-256 when the file has no `version`, so a ledger row says which edition
 * of the file priced it.
 */
export async function readPriceBookFile(path: string): Promise<LoadedBookFile> {
  const text = await readText(path, path);
  const book = parsePriceBookText(text, path);
  const edition = book.version ?? `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
  return { tag: `file:${basename(path)}@${edition}`, book };
}

export async function readBuiltinPriceBook(): Promise<LoadedBookFile> {
  const label = 'builtin.json';
  const book = parsePriceBookText(await readText(builtinPriceBookUrl, label), label);
  if (book.version === undefined) throw new PriceBookError(label, ['version: required for the built-in book']);
  return { tag: `builtin-${book.version}`, book };
}

/** The built-in book with the user's `--prices` files applied in the order given. */
export async function loadPriceBook(userFiles: readonly string[] = []): Promise<PriceBook> {
  const files = await Promise.all([readBuiltinPriceBook(), ...userFiles.map((file) => readPriceBookFile(file))]);
  return new PriceBook(files);
}
