import type { Cell } from './compare.js';
import { formatNanos, formatUsd } from '../ledger/money.js';
import type { ExplainedRow, ReconciliationRun } from './run.js';
import { csvField } from '../csv-field.js';

/** Text and CSV renderings of a run: pure, so the CLI only writes them out. */

const csvColumns = [
  'run_id',
  'day',
  'provider',
  'model',
  'scope_kind',
  'scope',
  'metric',
  'unit',
  'provider_value',
  'ledger_value',
  'delta',
  'delta_pct',
  'beyond_tolerance',
  'causes',
  'explanation',
] as const;

export function renderCsv(run: ReconciliationRun): string {
  const lines = [csvColumns.join(',')];
  for (const row of run.rows) {
    for (const cell of row.cells) {
      const flagged = cell.beyondTolerance;
      lines.push(
        [
          run.runId,
          row.day,
          row.provider,
          row.model,
          row.scopeKind,
          row.scope,
          cell.metric,
          cell.unit,
          value(cell, cell.provider),
          value(cell, cell.ledger),
          value(cell, cell.delta),
          cell.deltaPercent === null ? '' : cell.deltaPercent.toFixed(4),
          String(flagged),
          flagged ? row.causes.map((c) => c.code).join(';') : '',
          flagged ? row.causes.map((c) => c.message).join(' | ') : '',
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderSpreadCsv(run: ReconciliationRun): string {
  const lines = ['month,provider,team,direct_cost_usd,remainder_usd,chargeback_usd'];
  for (const line of run.spread?.lines ?? []) {
    lines.push(
      [run.spread?.month ?? '', run.provider, line.team ?? '', formatNanos(line.directNanos), formatNanos(line.remainderNanos), formatNanos(line.totalNanos)]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderTable(run: ReconciliationRun): string {
  const out: string[] = [];
  const tolerance = `${run.tolerance.percent}% and at least $${formatUsd(run.tolerance.minUsdNanos)} / ${run.tolerance.minTokens} tokens / ${run.tolerance.minRequests} requests`;
  const flaggedRows = run.rows.filter((row) => row.causes.length > 0);
  out.push(
    `Reconciliation ${run.provider} ${run.period.start} … ${run.period.end} (end exclusive, UTC), run ${run.runId}`,
    `Compared ${scopeText(run)}; tolerance ${tolerance}.`,
  );
  if (run.providerCostNanos !== null && run.ledgerCostNanos !== null) {
    out.push(
      `Cost: provider ${dollars(run.providerCostNanos)}, ledger ${dollars(run.ledgerCostNanos)}, difference ${dollars(run.providerCostNanos - run.ledgerCostNanos)} (provider − ledger).`,
    );
  }
  out.push('');
  const header = ['day', 'model', 'scope', 'requests p/l', 'tokens p/l', 'tokens Δ%', 'cost p $', 'cost l $', 'Δ $', 'Δ%', 'result'];
  const body = run.rows.map((row) => tableRow(row));
  out.push(...alignColumns([header, ...body]), '');
  for (const row of flaggedRows) {
    const flagged = row.cells.filter((c) => c.beyondTolerance).map((c) => `${c.metric} ${signedPercent(c)}`);
    out.push(`${row.day} ${row.model}${row.scope === '*' ? '' : ` ${row.scope}`}: ${flagged.join(', ')}`);
    for (const cause of row.causes) out.push(`  - ${cause.code}: ${cause.message}`);
  }
  for (const note of run.notes) out.push(`note: ${note}`);
  out.push(run.withinTolerance ? 'Within tolerance.' : `Beyond tolerance: ${plural(run.cellsBeyond, 'cell')} in ${plural(flaggedRows.length, 'row')}.`);
  if (run.spread) out.push('', ...renderSpreadTable(run));
  return `${out.join('\n')}\n`;
}

function renderSpreadTable(run: ReconciliationRun): string[] {
  const spread = run.spread;
  if (!spread) return [];
  const header = ['team', 'direct $', 'remainder $', 'chargeback $'];
  const body = spread.lines.map((line) => [line.team ?? '(unallocated)', formatUsd(line.directNanos, 6), formatUsd(line.remainderNanos, 6), formatUsd(line.totalNanos, 6)]);
  const total = spread.lines.reduce((sum, line) => sum + line.totalNanos, 0n);
  return [
    `Chargeback ${spread.month} (${run.provider}): invoice ${dollars(spread.invoiceNanos, 6)}, ledger ${dollars(spread.ledgerNanos, 6)}, remainder ${dollars(spread.remainderNanos, 6)} spread by direct spend`,
    ...alignColumns([header, ...body, ['total', formatUsd(spread.ledgerNanos, 6), formatUsd(spread.remainderNanos, 6), formatUsd(total, 6)]]),
  ];
}

function tableRow(row: ExplainedRow): string[] {
  const find = (metric: Cell['metric']): Cell | undefined => row.cells.find((c) => c.metric === metric);
  const requests = find('requests');
  const tokenCells = row.cells.filter((c) => c.unit === 'tokens');
  const providerTokens = tokenCells.reduce((sum, c) => sum + c.provider, 0n);
  const ledgerTokens = tokenCells.reduce((sum, c) => sum + c.ledger, 0n);
  const cost = find('cost_usd');
  const flagged = row.cells.filter((c) => c.beyondTolerance).map((c) => c.metric);
  return [
    row.day,
    row.model,
    row.scope,
    requests ? `${requests.provider}/${requests.ledger}` : '-',
    tokenCells.length > 0 ? `${providerTokens}/${ledgerTokens}` : '-',
    tokenCells.length > 0 ? percent(providerTokens, ledgerTokens) : '-',
    cost ? formatUsd(cost.provider, 4) : '-',
    cost ? formatUsd(cost.ledger, 4) : '-',
    cost ? formatUsd(cost.delta, 4) : '-',
    cost ? percent(cost.provider, cost.ledger) : '-',
    flagged.length === 0 ? 'ok' : `BEYOND ${flagged.join(',')}`,
  ];
}

function scopeText(run: ReconciliationRun): string {
  const project = run.provider === 'anthropic' ? ', workspace' : ', project';
  const describe = (name: string, g: ReconciliationRun['granularity']['usage']): string | null =>
    g === null ? null : `${name} per day${g.byModel ? ', model' : ''}${g.scope === 'none' ? '' : g.scope === 'project' ? project : ', API key'}`;
  return [describe('usage', run.granularity.usage), describe('cost', run.granularity.costs)].filter((s) => s !== null).join('; ');
}

function percent(provider: bigint, ledger: bigint): string {
  if (provider === 0n) return ledger === 0n ? '0.0%' : 'n/a';
  return `${((Number(provider - ledger) / Number(provider)) * 100).toFixed(1)}%`;
}

function signedPercent(cell: Cell): string {
  const amount = cell.unit === 'usd' ? dollars(cell.delta) : cell.delta.toString();
  return `${cell.delta > 0n ? '+' : ''}${amount}${cell.deltaPercent === null ? '' : ` (${cell.deltaPercent.toFixed(1)}%)`}`;
}

function dollars(nanos: bigint, decimals = 2): string {
  return nanos < 0n ? `-$${formatUsd(-nanos, decimals)}` : `$${formatUsd(nanos, decimals)}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function value(cell: Cell, amount: bigint): string {
  return cell.unit === 'usd' ? formatNanos(amount) : amount.toString();
}

function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}
