import { ReportCatalog } from '../../processor/src/reports/catalog.js';
import { executeReport } from '../../processor/src/reports/execute-report.js';
import type { RawParameters } from '../../processor/src/reports/parameters.js';
import type { ReportCell } from '../../processor/src/reports/report-result.js';
import { instanceReportRunner } from '../../processor/src/reports/runner.js';
import { openDatabase, type Database } from '../../processor/src/store/database.js';
import { buildSeed, insertSeed, type SeedAction, type SeedCall } from './seed-ledger.js';

export interface SeededLedger {
  db: Database;
  calls: SeedCall[];
  actions: SeedAction[];
  catalog: ReportCatalog;
  /** Runs a report; rows come back as objects keyed by column name. */
  run(name: string, raw?: RawParameters): Promise<Record<string, ReportCell>[]>;
}

/** The test clock: relative times and defaults are not used by the tests, which always pass since/until. */
export const testNow = new Date('2026-12-02T00:00:00Z');

export async function openSeededLedger(path = ':memory:'): Promise<SeededLedger> {
  const db = await openDatabase(path);
  const seed = buildSeed();
  await insertSeed(db.connection, seed);
  const catalog = await ReportCatalog.load();
  const deps = { catalog, run: instanceReportRunner(db.instance), now: () => testNow };
  return {
    db,
    ...seed,
    catalog,
    async run(name, raw = {}) {
      const result = await executeReport(deps, name, raw);
      return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index] ?? null])));
    },
  };
}

/** DuckDB's text for a DECIMAL with 9 decimals, from nano-dollars. */
export function usd(nanos: bigint | null, scale = 9): string | null {
  if (nanos === null) return null;
  const negative = nanos < 0n;
  const digits = (negative ? -nanos : nanos).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** A DECIMAL's text back to its unscaled integer (nano-dollars for scale 9). */
export function nanos(text: ReportCell, scale = 9): bigint {
  if (typeof text !== 'string') throw new Error(`not a decimal: ${String(text)}`);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const [, sign, whole, fraction = ''] = match as unknown as [string, string, string, string | undefined];
  const value = BigInt(whole) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0').slice(0, scale) || '0');
  return sign === '-' ? -value : value;
}

export function sumNanos(values: readonly (bigint | null)[]): bigint | null {
  const present = values.filter((v): v is bigint => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0n);
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Linear interpolation between the closest ranks (DuckDB's quantile_cont), in nano-dollars. */
export function quantileCont(sorted: readonly bigint[], q: number): number {
  const position = q * (sorted.length - 1);
  const low = Number(sorted[Math.floor(position)]);
  const high = Number(sorted[Math.ceil(position)]);
  return low + (position - Math.floor(position)) * (high - low);
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Monday of the date's ISO week (UTC), as DuckDB's date_trunc('week', …). */
export function weekStart(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return isoDay(day);
}

export function monthStart(date: Date): string {
  return `${date.toISOString().slice(0, 7)}-01`;
}

export const teamLabel = (team: string | null) => team ?? '(unallocated)';
