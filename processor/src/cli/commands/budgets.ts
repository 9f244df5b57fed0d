import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { budgetFormats, formatBudgets, type BudgetFormat } from '../../budgets/format.js';
import { readBudgets } from '../../budgets/read-budgets.js';
import { UsageError } from '../errors.js';
import { addLedgerOptions, resolveLedger, type LedgerOptions } from './report-options.js';

/**
 * `genai-chargeback budgets [--config FILE] [--db FILE] [--url URL] [--format table|json]`: each budget's limit,
 * spend, remaining and forecast for its current window, like `GET /v1/budgets`.
 */
export function registerBudgetsCommand(program: Command): void {
  const command = program
    .command('budgets')
    .description('show each budget: limit, spent, remaining and forecast for the current window')
    .option('--format <format>', `output: ${budgetFormats.join(', ')}`, 'table');
  addLedgerOptions(command);
  command.action(async (options: LedgerOptions & { format: string }) => {
    const format = parseFormat(options.format);
    const config = await loadConfig(options.config);
    const read = await readBudgets({ ...(await resolveLedger(options)), budgets: config.budgets, now: new Date() });
    process.stderr.write(`genai-chargeback: ${read.description}\n`);
    if (read.answer.budgets.length === 0) {
      process.stderr.write(`genai-chargeback: no budgets configured${options.config === undefined ? ' (pass --config with a budgets: section)' : ` in ${options.config}`}\n`);
    }
    process.stdout.write(formatBudgets(read.answer, format));
  });
}

function parseFormat(format: string): BudgetFormat {
  if ((budgetFormats as readonly string[]).includes(format)) return format as BudgetFormat;
  throw new UsageError(`--format: expected ${budgetFormats.join(', ')}, got "${format}"`);
}
