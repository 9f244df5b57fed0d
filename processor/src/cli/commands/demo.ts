import type { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { UsageError } from '../errors.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the processor, a fake model provider and instrumented sample services for three teams, then print the chargeback report')
    .option('--db <file>', 'DuckDB file for the demo ledger (replaced on every run)', './genai-chargeback-demo.duckdb')
    .option('--searches <n>', 'RAG searches to send to the search service', '60')
    .action(async (options: { db: string; searches: string }) => {
      const searches = Number(options.searches);
      if (!Number.isInteger(searches) || searches < 1) throw new UsageError(`--searches: expected a positive whole number, got "${options.searches}"`);
      await runDemo({ db: options.db, searches, write: (text) => process.stdout.write(text) });
    });
}
