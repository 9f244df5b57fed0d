import { formatCsv } from './format.js';
import type { ReportCell, ReportColumn, ReportResult } from './report-result.js';

/**
 * The finance pack for a month: `summary.csv` (the chargeback report: one row per team and the month
 * total) and one `team-<name>.csv` per team with the lines behind its direct cost followed by its
 * allocation (direct cost, unallocated share, platform share, total, charge in cents). Every row of
 * every file carries the month, the allocation rule, the platform team and the price-book editions.
 */
export interface PackFile {
  name: string;
  content: string;
}

const monthTotalTeam = '(month total)';

const teamColumns: ReportColumn[] = [
  { name: 'month', type: 'VARCHAR' },
  { name: 'team', type: 'VARCHAR' },
  { name: 'line', type: 'VARCHAR' },
  { name: 'project', type: 'VARCHAR' },
  { name: 'feature', type: 'VARCHAR' },
  { name: 'provider', type: 'VARCHAR' },
  { name: 'model', type: 'VARCHAR' },
  { name: 'price_id', type: 'VARCHAR' },
  { name: 'requests', type: 'BIGINT' },
  { name: 'unpriced_calls', type: 'BIGINT' },
  { name: 'input_tokens', type: 'BIGINT' },
  { name: 'cached_tokens', type: 'BIGINT' },
  { name: 'output_tokens', type: 'BIGINT' },
  { name: 'amount_usd', type: 'DECIMAL(38,9)' },
  { name: 'rule', type: 'VARCHAR' },
  { name: 'platform_team', type: 'VARCHAR' },
  { name: 'price_books', type: 'VARCHAR' },
];

/** summary: the `chargeback` report; lines: the `chargeback-lines` report of the same month. */
export function buildChargebackPack(summary: ReportResult, lines: ReportResult): PackFile[] {
  const summaryRows = summary.rows.map((row) => byName(summary.columns, row));
  const lineRows = lines.rows.map((row) => byName(lines.columns, row));
  const names = new FileNames();
  const files: PackFile[] = [{ name: 'summary.csv', content: formatCsv(summary) }];
  for (const team of summaryRows.filter((row) => row.team !== monthTotalTeam)) {
    const common = { month: team.month, team: team.team, rule: team.rule, platform_team: team.platform_team, price_books: team.price_books };
    const usage = lineRows
      .filter((line) => line.team === team.team)
      .map((line) => ({ ...line, ...common, line: 'usage', amount_usd: line.cost_usd ?? null }));
    const allocation = (line: string, amount: ReportCell, counts: Record<string, ReportCell> = {}) => ({ ...common, ...counts, line, amount_usd: amount });
    const rows = [
      ...usage,
      allocation('direct cost', team.direct_cost_usd ?? null, { requests: team.requests ?? null, unpriced_calls: team.unpriced_calls ?? null }),
      allocation('unallocated share', team.unallocated_share_usd ?? null),
      allocation('platform share', team.platform_share_usd ?? null),
      allocation('total', team.total_usd ?? null),
      allocation('charge (rounded to cents)', team.charge_usd ?? null),
    ];
    const result: ReportResult = {
      report: 'chargeback-team',
      parameters: summary.parameters,
      columns: teamColumns,
      rows: rows.map((row: Record<string, ReportCell | undefined>) => teamColumns.map((column) => row[column.name] ?? null)),
    };
    files.push({ name: names.next(String(team.team)), content: formatCsv(result) });
  }
  return files;
}

function byName(columns: readonly ReportColumn[], row: readonly ReportCell[]): Record<string, ReportCell> {
  return Object.fromEntries(columns.map((column, index) => [column.name, row[index] ?? null]));
}

/** Team names come from telemetry: reduce them to safe, distinct file names (no path separators). */
class FileNames {
  private readonly used = new Set<string>();

  next(team: string): string {
    const slug = team.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'team';
    let name = `team-${slug}.csv`;
    for (let n = 2; this.used.has(name); n++) name = `team-${slug}-${n}.csv`;
    this.used.add(name);
    return name;
  }
}
