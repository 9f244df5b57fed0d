import type { LlmCall } from '../ledger/llm-call.js';
import { formatNanos } from '../ledger/money.js';
import { sqlPath } from './staging-dir.js';

/**
 * `llm_calls` rows as CSV for DuckDB's `read_csv`, the writer's staging format. Written by hand: building one
 * string per row costs about half the JavaScript time of the Appender's per-value native calls, and DuckDB
 * parses the file on its own threads (measured in bench/ingest.ts). The encoding is exact both ways:
 * - text is always quoted, `"` doubled; NULL is an empty unquoted field (read with allow_quoted_nulls=false),
 *   so NULL and '' stay apart, and quoted newlines and commas are data;
 * - timestamps are integer epoch microseconds, cost is the DECIMAL(18,9) in plain digits, numbers are
 *   JavaScript's shortest round-trip form.
 */
export function llmCallCsvLine(row: LlmCall): string {
  return (
    `${text(row.trace_id)},${text(row.span_id)},${text(row.parent_span_id)},${micros(row.start_time)},${micros(row.end_time)},` +
    `${row.duration_ms},${text(row.service_name)},${text(row.team)},${text(row.project)},${text(row.feature)},` +
    `${text(row.customer)},${text(row.user_id)},${text(row.environment)},${text(row.action)},${text(row.provider)},` +
    `${text(row.operation)},${text(row.request_model)},${text(row.response_model)},${text(row.response_id)},` +
    `${count(row.input_tokens)},${count(row.output_tokens)},${count(row.cache_read_tokens)},${count(row.cache_write_tokens)},` +
    `${count(row.reasoning_tokens)},${row.cost_nanos === null ? '' : formatNanos(row.cost_nanos)},${text(row.cost_source)},${text(row.price_id)},` +
    `${text(row.status)},${text(row.error_type)},${count(row.attempts)},${micros(row.received_at)},${text(row.attributes)}\n`
  );
}

/** The staged file's columns, in `llm_calls` order; timestamps arrive as epoch microseconds. */
const csvColumns: Array<[name: string, type: string]> = [
  ['trace_id', 'VARCHAR'],
  ['span_id', 'VARCHAR'],
  ['parent_span_id', 'VARCHAR'],
  ['start_time', 'BIGINT'],
  ['end_time', 'BIGINT'],
  ['duration_ms', 'DOUBLE'],
  ['service_name', 'VARCHAR'],
  ['team', 'VARCHAR'],
  ['project', 'VARCHAR'],
  ['feature', 'VARCHAR'],
  ['customer', 'VARCHAR'],
  ['user_id', 'VARCHAR'],
  ['environment', 'VARCHAR'],
  ['action', 'VARCHAR'],
  ['provider', 'VARCHAR'],
  ['operation', 'VARCHAR'],
  ['request_model', 'VARCHAR'],
  ['response_model', 'VARCHAR'],
  ['response_id', 'VARCHAR'],
  ['input_tokens', 'BIGINT'],
  ['output_tokens', 'BIGINT'],
  ['cache_read_tokens', 'BIGINT'],
  ['cache_write_tokens', 'BIGINT'],
  ['reasoning_tokens', 'BIGINT'],
  ['cost_usd', 'DECIMAL(18, 9)'],
  ['cost_source', 'VARCHAR'],
  ['price_id', 'VARCHAR'],
  ['status', 'VARCHAR'],
  ['error_type', 'VARCHAR'],
  ['attempts', 'INTEGER'],
  ['received_at', 'BIGINT'],
  ['attributes', 'VARCHAR'],
];

const timestampColumns = new Set(['start_time', 'end_time', 'received_at']);

/** A SELECT of staged files' rows as `llm_calls` rows; `paths` are the writer's own files, never user input. */
export function selectStagedCalls(paths: string[]): string {
  const columns = csvColumns.map(([name, type]) => `'${name}': '${type}'`).join(', ');
  const select = csvColumns.map(([name]) => (timestampColumns.has(name) ? `make_timestamp(${name}) AS ${name}` : name)).join(', ');
  return (
    `SELECT ${select} FROM read_csv([${paths.map(sqlPath).join(', ')}], header = false, delim = ',', quote = '"', escape = '"', ` +
    `new_line = '\\n', allow_quoted_nulls = false, auto_detect = false, strict_mode = true, columns = {${columns}})`
  );
}

function text(value: string | null): string {
  if (value === null) return '';
  return value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
}

function micros(date: Date): string {
  return `${date.getTime()}000`;
}

function count(value: number | null): string {
  return value === null ? '' : String(value);
}
