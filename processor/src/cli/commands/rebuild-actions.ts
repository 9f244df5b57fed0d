import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { ActionStore } from '../../rollup/action-store.js';
import { openDatabase } from '../../store/database.js';
import { DailySpend } from '../../store/spend-daily.js';
import { parseDateOption } from '../options.js';

export function registerRebuildActions(program: Command): void {
  program
    .command('rebuild-actions')
    .description('recompute the actions table and the daily spend cache (spend_daily) from llm_calls (run it while serve is stopped)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'DuckDB file (default: storage.db from the config)')
    .option('--since <date>', 'only traces with a call on or after this date, and days from it (YYYY-MM-DD or ISO time, UTC)')
    .action(async (options: { config?: string; db?: string; since?: string }) => {
      const config = await loadConfig(options.config);
      const since = options.since === undefined ? null : parseDateOption('--since', options.since);
      const db = await openDatabase(options.db ?? config.storage.db);
      const store = await ActionStore.open(db.instance);
      try {
        let started = performance.now();
        const traces = await store.rebuild(since, (done, total) => process.stderr.write(`recomputed ${done} of ${total} traces\n`));
        process.stdout.write(`rebuilt ${traces} actions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        started = performance.now();
        const spend = await DailySpend.open(db.connection);
        const days = await spend.rebuild(db.connection, new Date(), since);
        process.stdout.write(`rebuilt spend_daily for ${days} days in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      } finally {
        store.close();
        await db.close();
      }
    });
}
