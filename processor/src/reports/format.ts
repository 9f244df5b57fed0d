import type { ReportCell, ReportColumn, ReportResult } from './report-result.js';
import { csvField } from '../csv-field.js';

export const reportFormats = ['table', 'csv', 'json'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export function formatReport(result: ReportResult, format: ReportFormat): string {
  if (format === 'csv') return formatCsv(result);
  if (format === 'json') return formatJson(result);
  return formatTable(result);
}

/** The HTTP API's body and `--format json`: the envelope with one object per row. */
export function formatJson(result: ReportResult): string {
  const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index] ?? null])));
  return `${JSON.stringify({ report: result.report, parameters: result.parameters, columns: result.columns, rows }, null, 2)}\n`;
}

/**
 * RFC 4180 CSV with a header row; NULL is an empty field. Text that a spreadsheet would run as a formula
 * (starting with = + - @ or a control character) gets a leading apostrophe: team and route names come
 * from telemetry, and finance opens these files in spreadsheets.
 */
export function formatCsv(result: ReportResult): string {
  const lines = [result.columns.map((column) => csvField(column.name)).join(',')];
  for (const row of result.rows) {
    lines.push(result.columns.map((column, index) => csvField(csvText(row[index] ?? null, column))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvText(cell: ReportCell, column: ReportColumn): string {
  const text = cellText(cell);
  return isNumeric(column) || !/^[=+\-@\t\r]/.test(text) ? text : `'${text}`;
}

/** Aligned columns for a terminal: numbers right-aligned, NULL spelled out so it is never mistaken for 0. */
export function formatTable(result: ReportResult): string {
  const header = result.columns.map((column) => column.name);
  const body = result.rows.map((row) => result.columns.map((_, index) => clip(cellText(row[index] ?? null, 'NULL'))));
  const widths = header.map((name, index) => Math.max(name.length, ...body.map((cells) => (cells[index] ?? '').length)));
  const numeric = result.columns.map(isNumeric);
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (numeric[index] ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const footer = `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
  return `${[line(header), rule, ...body.map(line), footer].join('\n')}\n`;
}

function cellText(cell: ReportCell, nullText = ''): string {
  if (cell === null) return nullText;
  if (Array.isArray(cell)) return cell.map((item) => cellText(item, 'NULL')).join(', ');
  return String(cell);
}

const maxCellWidth = 60;

function clip(text: string): string {
  return text.length > maxCellWidth ? `${text.slice(0, maxCellWidth - 1)}…` : text;
}

function isNumeric(column: ReportColumn): boolean {
  return /^(DECIMAL|BIGINT|HUGEINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UHUGEINT|UINTEGER|DOUBLE|FLOAT)/.test(column.type);
}
