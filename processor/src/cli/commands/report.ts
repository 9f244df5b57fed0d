import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildChargebackPack } from '../../reports/chargeback-pack.js';
import { ReportCatalog } from '../../reports/catalog.js';
import { prepareReport } from '../../reports/execute-report.js';
import { openReportSource } from '../../reports/report-source.js';
import { addLedgerOptions, resolveLedger, type LedgerOptions } from './report-options.js';

interface ChargebackOptions extends LedgerOptions {
  month?: string;
  out: string;
  rule?: string;
  platformTeam?: string;
}

/** `genai-chargeback report chargeback --month 2026-11 --out DIR`: the finance pack, one CSV per team plus a summary. */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('write report packs for finance');
  const chargeback = report
    .command('chargeback')
    .description('a month of chargeback: summary.csv plus one CSV per team, each with the price-book editions and the rule')
    .option('--month <YYYY-MM>', 'calendar month, UTC (default: the previous month)')
    .requiredOption('--out <dir>', 'directory to write the CSV files to (created if missing)')
    .option('--rule <rule>', 'how unallocated and shared-platform cost is shared: proportional or platform', 'proportional')
    .option('--platform-team <team>', 'the shared-platform team (required by --rule platform)');
  addLedgerOptions(chargeback);
  chargeback.action(async (options: ChargebackOptions) => {
    const catalog = await ReportCatalog.load();
    const month = options.month === undefined ? {} : { month: options.month };
    const allocation = { ...month, rule: options.rule, platform_team: options.platformTeam };
    // Fail on a bad flag before touching the ledger.
    prepareReport(catalog, 'chargeback', allocation, new Date());
    const source = await openReportSource({ ...(await resolveLedger(options)), catalog });
    process.stderr.write(`genai-chargeback: ${source.description}\n`);
    try {
      const summary = await source.run('chargeback', allocation);
      const lines = await source.run('chargeback-lines', month);
      const files = buildChargebackPack(summary, lines);
      await mkdir(options.out, { recursive: true });
      for (const file of files) await writeFile(join(options.out, file.name), file.content);
      process.stdout.write(`${files.map((file) => join(options.out, file.name)).join('\n')}\n`);
    } finally {
      await source.close();
    }
  });
}
