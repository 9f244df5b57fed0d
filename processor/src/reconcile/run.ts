import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ComparedRow, type Comparison, compare } from './compare.js';
import { ReconcileInputError } from './errors.js';
import { type Cause, explainRow } from './explain.js';
import { type Period, queryLastReceivedAt, queryLedgerGroups, queryTeamSpend } from './ledger-query.js';
import type { ProviderReport, ReconcileProvider } from './records.js';
import type { ScopeRequest } from './scope.js';
import { type Spread, spreadRemainder } from './spread.js';
import type { Tolerance } from './tolerance.js';

/** One reconciliation: the ledger read for the period, compared, explained, optionally spread. Storing is separate. */
export interface ReconcileOptions {
  provider: ReconcileProvider;
  report: ProviderReport;
  period: Period;
  scope: ScopeRequest;
  tolerance: Tolerance;
  settleMs: number;
  runAt: Date;
  source: 'files' | 'api';
  /** File paths, or the API base URL. */
  inputs: string[];
  /** YYYY-MM: spread that month's remainder across teams (the period must be the month). */
  spreadMonth: string | null;
}

export type ExplainedRow = ComparedRow & { causes: Cause[] };

export interface ReconciliationRun {
  runId: string;
  runAt: Date;
  provider: ReconcileProvider;
  source: 'files' | 'api';
  inputs: string[];
  period: Period;
  tolerance: Tolerance;
  rows: ExplainedRow[];
  granularity: Comparison['granularity'];
  notes: string[];
  cellsBeyond: number;
  /** Totals over the days the cost report covers; null without a cost report. */
  providerCostNanos: bigint | null;
  ledgerCostNanos: bigint | null;
  withinTolerance: boolean;
  spread: (Spread & { month: string }) | null;
}

export async function reconcile(connection: DuckDBConnection, options: ReconcileOptions): Promise<ReconciliationRun> {
  const { provider, report, period } = options;
  if (!report.usage && !report.costs) throw new ReconcileInputError('nothing to compare: give --usage and/or --costs files, or --fetch');
  const ledger = await queryLedgerGroups(connection, provider, period);
  const comparison = compare({ provider, report, ledger, period, scope: options.scope, tolerance: options.tolerance });
  const ledgerModelsByDay = new Map<string, Set<string>>();
  for (const group of ledger) {
    const models = ledgerModelsByDay.get(group.day) ?? new Set<string>();
    models.add(group.model);
    ledgerModelsByDay.set(group.day, models);
  }
  const context = {
    provider,
    runAt: options.runAt,
    settleMs: options.settleMs,
    lastReceivedAt: await queryLastReceivedAt(connection, provider),
    ledgerModelsByDay,
    tolerance: options.tolerance,
  };
  const rows = comparison.rows.map((row) => ({ ...row, causes: explainRow(row, context) }));
  const costCells = rows.flatMap((row) => row.cells.filter((c) => c.metric === 'cost_usd'));
  const hasCosts = report.costs !== null;
  const cellsBeyond = rows.reduce((sum, row) => sum + row.cells.filter((c) => c.beyondTolerance).length, 0);
  const notes = [...(report.usage?.notes ?? []), ...(report.costs?.notes ?? []), ...comparison.notes];
  const providerCostNanos = hasCosts ? costCells.reduce((sum, c) => sum + c.provider, 0n) : null;

  let spread: ReconciliationRun['spread'] = null;
  if (options.spreadMonth !== null) {
    if (providerCostNanos === null) throw new ReconcileInputError('--spread-month needs the cost report (--costs FILE or --fetch)');
    const daysInPeriod = Math.round((Date.parse(period.end) - Date.parse(period.start)) / 86_400_000);
    const costDays = [...(report.costs?.days ?? [])].filter((day) => day >= period.start && day < period.end).length;
    if (costDays < daysInPeriod) {
      notes.push(`the cost report covers ${costDays} of the ${daysInPeriod} days of ${options.spreadMonth}: the spread takes the missing days as not billed`);
    }
    const teams = await queryTeamSpend(connection, provider, period);
    spread = { month: options.spreadMonth, ...spreadRemainder(providerCostNanos, teams) };
  }

  return {
    runId: randomUUID(),
    runAt: options.runAt,
    provider,
    source: options.source,
    inputs: options.inputs,
    period,
    tolerance: options.tolerance,
    rows,
    granularity: comparison.granularity,
    notes,
    cellsBeyond,
    providerCostNanos,
    ledgerCostNanos: hasCosts ? costCells.reduce((sum, c) => sum + c.ledger, 0n) : null,
    withinTolerance: cellsBeyond === 0,
    spread,
  };
}
