import type { Command } from 'commander';
import { ReportCatalog } from '../../reports/catalog.js';
import { prepareReport } from '../../reports/execute-report.js';
import { formatReport, reportFormats, type ReportFormat } from '../../reports/format.js';
import { parameterDefinitions } from '../../reports/parameters.js';
import { openReportSource } from '../../reports/report-source.js';
import { UsageError } from '../errors.js';
import { addLedgerOptions, addParameterOptions, parametersFromOptions, resolveLedger, type LedgerOptions } from './report-options.js';

const parameterHelp: Record<string, string> = {
  since: 'inclusive start: 2026-11-01, 2026-11-01T12:00:00Z, or 7d / 12h / 2w ago (UTC)',
  until: 'exclusive end, same forms as --since',
  team: "only this team; '(unallocated)' selects calls without one",
  grain: 'day, week or month',
  limit: 'rows to show',
  month: 'calendar month, e.g. 2026-11',
  rule: 'allocation rule: proportional or platform',
  platform_team: 'the shared-platform team',
  z_threshold: '|z-score| from which a week is an outlier',
};

/**
 * `genai-chargeback query REPORT [--since] [--until] [--team ...] [--format table|csv|json]`, `query --list`.
 * Reads the DuckDB file read-only, or asks the running service when it holds the file.
 */
export function registerQueryCommand(program: Command): void {
  const command = program
    .command('query')
    .description('run a chargeback report from queries/ (query --list shows them)')
    .argument('[report]', 'report name, e.g. spend-by-team')
    .option('--list', 'list the reports and their parameters')
    .option('--format <format>', `output: ${reportFormats.join(', ')}`, 'table');
  addLedgerOptions(command);
  addParameterOptions(command, [...parameterDefinitions.keys()], (name) => parameterHelp[name] ?? name);
  command.action(async (name: string | undefined, options: LedgerOptions & { list?: boolean; format: string } & Record<string, unknown>) => {
    const format = parseFormat(options.format);
    const catalog = await ReportCatalog.load();
    if (options.list) {
      process.stdout.write(listReports(catalog, format));
      return;
    }
    if (name === undefined) throw new UsageError('name a report (query --list shows them)');
    const raw = parametersFromOptions(options, [...parameterDefinitions.keys()]);
    // Fail on a bad flag before touching the ledger.
    const { report } = prepareReport(catalog, name, raw, new Date());
    const source = await openReportSource({ ...(await resolveLedger(options)), catalog });
    process.stderr.write(`genai-chargeback: ${source.description}\n`);
    try {
      process.stdout.write(formatReport(await source.run(report.name, raw), format));
    } finally {
      await source.close();
    }
  });
}

function parseFormat(format: string): ReportFormat {
  if ((reportFormats as readonly string[]).includes(format)) return format as ReportFormat;
  throw new UsageError(`--format: expected ${reportFormats.join(', ')}, got "${format}"`);
}

function listReports(catalog: ReportCatalog, format: ReportFormat): string {
  const reports = catalog.list();
  if (format === 'json') {
    return `${JSON.stringify(
      reports.map((r) => ({ name: r.name, title: r.title, description: r.description, parameters: r.parameters })),
      null,
      2,
    )}\n`;
  }
  const width = Math.max(...reports.map((r) => r.name.length));
  const lines = reports.map((r) => {
    const flags = r.parameters.map((p) => `--${p.name.replaceAll('_', '-')}`).join(' ');
    return `${r.name.padEnd(width)}  ${r.title}${flags === '' ? '' : `  [${flags}]`}`;
  });
  return `${lines.join('\n')}\n`;
}
