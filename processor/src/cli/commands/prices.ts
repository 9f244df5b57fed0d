import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { PriceBookError } from '../../pricing/errors.js';
import { loadPriceBook, readPriceBookFile, type PriceEntry, type ServiceTierCard, type TierDisplay } from '../../pricing/price-book.js';
import { UsageError } from '../errors.js';

/**
 * `genai-chargeback prices [--config FILE] [--prices FILE]...` prints the effective price book (the one `serve`
 * would use with the same options);
 * `genai-chargeback prices check FILE...` validates price-book files (exit 2 naming the file and field).
 */
export function registerPricesCommand(program: Command): void {
  const prices = program
    .command('prices')
    .description('show the effective price book: the built-in book with the config\'s and --prices files applied')
    .option('--config <file>', 'config file whose `prices` files apply first, as `serve` applies them')
    .option(
      '--prices <file>',
      'a price-book JSON file; it replaces the built-in timeline of every (provider, model) it names (repeatable)',
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
    .action(async (options: { config?: string; prices: string[] }) => {
      const fromConfig = options.config === undefined ? [] : (await loadConfig(options.config)).prices;
      const book = await loadPriceBook([...fromConfig, ...options.prices]).catch(asUsageError);
      process.stdout.write(renderTable(book.entries()));
      const aliases = book.providerAliases();
      if (aliases.length > 0) {
        process.stdout.write('\nprovider aliases (calls of the provider on the left are priced with the entries on the right):\n');
        for (const alias of aliases) {
          const models = alias.models === null ? 'all models' : [...alias.models].join(', ');
          process.stdout.write(`  ${alias.provider} → ${alias.pricesAs}: ${models}\n`);
        }
      }
    });

  prices
    .command('check')
    .description('validate price-book files; exit 0 with "ok: N entries", or 2 naming the file and field')
    .argument('<files...>', 'price-book JSON files')
    .action(async (files: string[]) => {
      const problems: string[] = [];
      for (const file of files) {
        try {
          const { book } = await readPriceBookFile(file);
          process.stdout.write(`${file}: ok: ${book.prices.length} entries\n`);
        } catch (error) {
          if (!(error instanceof PriceBookError)) throw error;
          problems.push(error.message);
        }
      }
      if (problems.length > 0) throw new UsageError(problems.join('\n'));
    });
}

function asUsageError(error: unknown): never {
  if (error instanceof PriceBookError) throw new UsageError(error.message);
  throw error;
}

const headers = ['provider', 'model', 'effective_from', 'input', 'cached', 'cache write', 'cache write 1h', 'output', 'per_request', 'per tool call', 'tiers', 'service tiers', 'book', 'source'];

/**
 * Rates are USD per million tokens as written in the book; "= input" marks a cache rate billed at the input rate.
 * Per-request and per-tool-call fees are USD.
 */
export function renderTable(entries: readonly PriceEntry[]): string {
  const rows = entries.map((entry) => [
    entry.provider,
    entry.aliases.length === 0 ? entry.model : `${entry.model} (also ${entry.aliases.join(', ')})`,
    entry.effectiveFrom,
    entry.display.input,
    entry.display.cacheRead ?? '= input',
    entry.display.cacheWrite ?? '= input',
    entry.display.cacheWrite1h ?? '= cache write',
    entry.display.output,
    entry.display.perRequest,
    [...entry.perToolCall].map(([tool, fee]) => `${tool} ${fee.text}`).join('; ') || '-',
    entry.display.tiers.map(describeTier).join('; ') || '-',
    [...entry.serviceTiers].map(([name, card]) => describeServiceTier(name, card)).join('; ') || '-',
    entry.book,
    entry.source ?? '-',
  ]);
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

function describeTier(tier: TierDisplay): string {
  return `>${tier.aboveInputTokens}: ${describeOverrides(tier)}`;
}

/** e.g. `flex: in 0.625 cached 0.0625 out 5`, then its own long-context tiers in brackets. */
function describeServiceTier(name: string, card: ServiceTierCard): string {
  const tiers = card.display.tiers.length === 0 ? '' : ` [${card.display.tiers.map(describeTier).join(', ')}]`;
  return `${name}: ${describeOverrides(card.display) || 'base rates'}${tiers}`;
}

function describeOverrides(rates: Omit<TierDisplay, 'aboveInputTokens'>): string {
  return [
    rates.input !== undefined && `in ${rates.input}`,
    rates.cacheRead !== undefined && `cached ${rates.cacheRead ?? '= input'}`,
    rates.cacheWrite !== undefined && `write ${rates.cacheWrite ?? '= input'}`,
    rates.cacheWrite1h !== undefined && `write 1h ${rates.cacheWrite1h ?? '= write'}`,
    rates.output !== undefined && `out ${rates.output}`,
    rates.perRequest !== undefined && `per request ${rates.perRequest}`,
  ]
    .filter((part): part is string => typeof part === 'string')
    .join(' ');
}
