import { DuckDBTypeId, type DuckDBResultReader } from '@duckdb/node-api';

/**
 * A report's answer in a form every output shares (table, CSV, JSON, the HTTP API): exact and JSON-safe.
 * DECIMAL money stays a decimal string ("12.345678901"), never a float; integers are numbers while they
 * fit a double exactly; timestamps are ISO 8601 UTC ("2026-11-20T10:00:00Z"); NULL stays null.
 */
export type ReportCell = string | number | boolean | null | ReportCell[];

export interface ReportColumn {
  name: string;
  /** The DuckDB type, e.g. DECIMAL(38,9), BIGINT, VARCHAR. */
  type: string;
}

export interface ReportResult {
  report: string;
  /** The parameters as given (null = the report's default). */
  parameters: Record<string, string | string[] | number | null>;
  columns: ReportColumn[];
  rows: ReportCell[][];
}

const integerTypes = new Set([DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT]);
const timestampTypes = new Set([DuckDBTypeId.TIMESTAMP, DuckDBTypeId.TIMESTAMP_S, DuckDBTypeId.TIMESTAMP_MS, DuckDBTypeId.TIMESTAMP_NS]);

/** Reads a DuckDB result into report rows (the library's JSON form, then the few shapes above). */
export function readReportRows(reader: DuckDBResultReader): { columns: ReportColumn[]; rows: ReportCell[][] } {
  const types = reader.columnTypes();
  const columns = reader.columnNames().map((name, index) => ({ name, type: String(types[index]) }));
  const rows = reader.getRowsJson().map((row) =>
    row.map((value, index) => {
      const typeId = types[index]?.typeId;
      if (typeof value === 'string' && typeId !== undefined && integerTypes.has(typeId)) return integerCell(value);
      if (typeof value === 'string' && typeId !== undefined && timestampTypes.has(typeId)) return isoTimestamp(value);
      return value as ReportCell;
    }),
  );
  return { columns, rows };
}

function integerCell(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

/** DuckDB prints `2026-11-20 10:00:00[.123456]` in UTC for TIMESTAMP; JSON readers want the zone spelled out. */
function isoTimestamp(text: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
}
