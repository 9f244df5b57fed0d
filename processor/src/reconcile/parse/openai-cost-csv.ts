import { CsvError, parse } from 'csv-parse/sync';
import { ReportFormatError } from '../errors.js';
import { dollarsToNanos } from '../../ledger/money.js';
import type { CostRecord, ReportPart } from '../records.js';
import { utcDay } from './fields.js';
import { openAiCostRecord } from './openai.js';

/**
 * The usage dashboard's Cost export (tab "Cost", group by "Line item", CSV, 1 day). OpenAI does not document its
 * columns; they are read by name (start_time, amount_value, amount_currency, line_item, project_id), so their order
 * and any extra columns do not matter.
 */

interface CsvRow {
  info: { lines: number };
  record: Record<string, string>;
}

const required = ['start_time', 'amount_value'] as const;

export function openAiCostCsvRecords(text: string, file: string): ReportPart<CostRecord> {
  const rows = readRows(text, file);
  const part: ReportPart<CostRecord> = { records: [], days: new Set(), notes: [] };
  for (const { info, record } of rows) {
    const line = info.lines;
    for (const column of required) {
      if (record[column] === undefined) {
        throw new ReportFormatError(file, 1, `missing the ${column} column (expected OpenAI's Cost CSV export with ${required.join(', ')})`);
      }
    }
    const day = csvDay(record.start_time ?? '', file, line);
    const amountNanos = dollarsToNanos(record.amount_value ?? '');
    if (amountNanos === null) throw new ReportFormatError(file, line, `amount_value: expected a decimal number, got "${record.amount_value}"`);
    const currency = record.amount_currency ?? 'usd';
    if (currency !== '' && currency.toLowerCase() !== 'usd') {
      throw new ReportFormatError(file, line, `amount_currency: only USD amounts are supported, got "${currency}"`);
    }
    part.days.add(day);
    part.records.push(
      openAiCostRecord({
        day,
        amountNanos,
        lineItem: emptyToNull(record.line_item),
        projectId: emptyToNull(record.project_id),
        apiKeyId: emptyToNull(record.api_key_id),
        quantity: emptyToNull(record.quantity),
        quantityUnit: emptyToNull(record.quantity_unit),
      }),
    );
  }
  return part;
}

function readRows(text: string, file: string): CsvRow[] {
  try {
    return parse<CsvRow>(text, { columns: true, info: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error.lines === 'number' ? error.lines : null;
      throw new ReportFormatError(file, line, `not valid CSV: ${error.message}`);
    }
    throw error;
  }
}

function csvDay(value: string, file: string, line: number): string {
  const millis = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (value === '' || Number.isNaN(millis)) {
    throw new ReportFormatError(file, line, `start_time: expected Unix seconds or an ISO date, got "${value}"`);
  }
  return utcDay(new Date(millis));
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
