import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { formatNanos } from '../ledger/money.js';
import type { ReconciliationRun } from './run.js';
import { inTransaction } from '../store/transaction.js';

/**
 * Stores a run, its deltas (one row per compared cell) and its spread in one transaction, so a failed run leaves
 * nothing behind. Tables: queries/schema.sql `reconciliation_runs`, `reconciliation_deltas`, `reconciliation_spreads`.
 */
export async function storeRun(connection: DuckDBConnection, run: ReconciliationRun): Promise<void> {
  await inTransaction(connection, async () => {
    await connection.run(
      `INSERT INTO reconciliation_runs VALUES (
         $1, CAST($2 AS TIMESTAMP), $3, $4, from_json($5, '["VARCHAR"]'), CAST($6 AS DATE), CAST($7 AS DATE), $8, $9,
         $10, CAST($11 AS DECIMAL(18, 9)), $12, $13, $14, $15,
         CAST($16 AS DECIMAL(18, 9)), CAST($17 AS DECIMAL(18, 9)), $18, from_json($19, '["VARCHAR"]'))`,
      [
        run.runId,
        timestampText(run.runAt),
        run.provider,
        run.source,
        JSON.stringify(run.inputs),
        run.period.start,
        run.period.end,
        run.granularity.usage?.scope ?? null,
        run.granularity.costs?.scope ?? null,
        run.tolerance.percent,
        formatNanos(run.tolerance.minUsdNanos),
        run.tolerance.minTokens,
        run.tolerance.minRequests,
        run.rows.length,
        run.cellsBeyond,
        run.providerCostNanos === null ? null : formatNanos(run.providerCostNanos),
        run.ledgerCostNanos === null ? null : formatNanos(run.ledgerCostNanos),
        run.withinTolerance,
        JSON.stringify(run.notes),
      ],
    );
    const deltas: DuckDBValue[][] = run.rows.flatMap((row) =>
      row.cells.map((cell) => [
        run.runId,
        row.day,
        row.provider,
        row.model,
        row.scopeKind,
        row.scope,
        cell.metric,
        cell.unit,
        decimalText(cell.provider, cell.unit),
        decimalText(cell.ledger, cell.unit),
        decimalText(cell.delta, cell.unit),
        cell.deltaPercent,
        cell.beyondTolerance,
        JSON.stringify(cell.beyondTolerance ? row.causes.map((c) => c.code) : []),
        cell.beyondTolerance ? row.causes.map((c) => c.message).join(' | ') : null,
      ]),
    );
    await insertMany(
      connection,
      'reconciliation_deltas',
      '($?, CAST($? AS DATE), $?, $?, $?, $?, $?, $?, CAST($? AS DECIMAL(38, 9)), CAST($? AS DECIMAL(38, 9)), CAST($? AS DECIMAL(38, 9)), $?, $?, from_json($?, \'["VARCHAR"]\'), $?)',
      deltas,
    );
    if (run.spread) {
      const month = run.spread.month;
      await insertMany(
        connection,
        'reconciliation_spreads',
        '($?, $?, $?, $?, CAST($? AS DECIMAL(18, 9)), CAST($? AS DECIMAL(18, 9)), CAST($? AS DECIMAL(18, 9)))',
        run.spread.lines.map((line) => [
          run.runId,
          month,
          run.provider,
          line.team,
          formatNanos(line.directNanos),
          formatNanos(line.remainderNanos),
          formatNanos(line.totalNanos),
        ]),
      );
    }
  });
}

/** Multi-row INSERTs of bound values: a few hundred rows a statement instead of one round trip each. */
async function insertMany(connection: DuckDBConnection, table: string, rowTemplate: string, rows: DuckDBValue[][]): Promise<void> {
  const perStatement = 200;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    let index = 0;
    const values = chunk.map(() => rowTemplate.replace(/\$\?/g, () => `$${++index}`)).join(',\n');
    await connection.run(`INSERT INTO ${table} VALUES ${values}`, chunk.flat());
  }
}

function decimalText(value: bigint, unit: string): string {
  return unit === 'usd' ? formatNanos(value) : value.toString();
}

/** DuckDB TIMESTAMP literal in UTC (no zone suffix: the column is a plain UTC timestamp like llm_calls'). */
function timestampText(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
