import type { LlmCall } from '../ledger/llm-call.js';
import { formatNanos } from '../ledger/money.js';
import { sqlPath } from './staging-dir.js';

/**
 * `llm_calls` rows as CSV for DuckDB's `read_csv`, the writer's staging format. Written by hand: one row costs
 * about half the JavaScript time of the Appender's per-value native calls, and DuckDB parses the file on its own
 * threads (measured in bench/ingest.ts). The encoding is exact both ways:
 * - text is always quoted, `"` doubled; NULL is an empty unquoted field (read with allow_quoted_nulls=false),
 *   so NULL and '' stay apart, and quoted newlines and commas are data;
 * - timestamps are integer epoch microseconds, cost is the DECIMAL(18,9) in plain digits, numbers are
 *   JavaScript's shortest round-trip form.
 *
 * Rows go straight into UTF-8 bytes. Built as one string instead, a group of calls was a rope of ~30 pieces a
 * row that the file write had to flatten and encode on the event loop (6% of its time when every span is a
 * call); writing the bytes as the fields come costs 2.3 µs a row against 3.2 (measured on the bench's rows).
 */
export class LlmCallCsv {
  private buffer: Buffer;
  private length = 0;

  /** `expectedRows` sizes the first buffer (rows of the bench's calls take ~450 bytes); it grows as needed. */
  constructor(expectedRows = 16) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, expectedRows * 512));
  }

  /** The bytes written so far (a view, valid until the next `append`). */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  append(row: LlmCall): void {
    this.text(row.trace_id);
    this.text(row.span_id);
    this.text(row.parent_span_id);
    this.ascii(micros(row.start_time));
    this.ascii(micros(row.end_time));
    this.ascii(String(row.duration_ms));
    this.text(row.service_name);
    this.text(row.team);
    this.text(row.project);
    this.text(row.feature);
    this.text(row.customer);
    this.text(row.user_id);
    this.text(row.environment);
    this.text(row.action);
    this.text(row.provider);
    this.text(row.operation);
    this.text(row.request_model);
    this.text(row.response_model);
    this.text(row.response_id);
    this.ascii(count(row.input_tokens));
    this.ascii(count(row.output_tokens));
    this.ascii(count(row.cache_read_tokens));
    this.ascii(count(row.cache_write_tokens));
    this.ascii(count(row.reasoning_tokens));
    this.ascii(row.cost_nanos === null ? '' : formatNanos(row.cost_nanos));
    this.text(row.cost_source);
    this.text(row.price_id);
    this.text(row.status);
    this.text(row.error_type);
    this.ascii(count(row.attempts));
    this.ascii(micros(row.received_at));
    this.text(row.attributes);
    // The last field's comma becomes the row's end.
    this.buffer[this.length - 1] = NEWLINE;
  }

  /** A field known to be ASCII (digits, signs, a decimal point), then its comma. */
  private ascii(value: string): void {
    this.reserve(value.length + 1);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < value.length; i++) buffer[at++] = value.charCodeAt(i);
    buffer[at++] = COMMA;
    this.length = at;
  }

  /** Quoted text with `"` doubled, or nothing for NULL, then its comma. */
  private text(value: string | null): void {
    if (value === null) {
      this.reserve(1);
      this.buffer[this.length++] = COMMA;
      return;
    }
    // Worst case: every character a doubled quote (2 bytes) or 3 bytes of UTF-8, plus the quotes and comma.
    this.reserve(value.length * 3 + 3);
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = QUOTE;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        // Rare past ASCII: Node encodes the rest (surrogate pairs included), its quotes doubled first.
        at += buffer.write(value.slice(i).replaceAll('"', '""'), at, 'utf8');
        break;
      }
      buffer[at++] = code;
      if (code === QUOTE) buffer[at++] = QUOTE;
    }
    buffer[at++] = QUOTE;
    buffer[at++] = COMMA;
    this.length = at;
  }

  private reserve(bytes: number): void {
    if (this.buffer.length - this.length >= bytes) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** The rows as one staging file's bytes. */
export function llmCallsCsv(rows: readonly LlmCall[]): Buffer {
  const csv = new LlmCallCsv(rows.length);
  for (const row of rows) csv.append(row);
  return csv.bytes;
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

function micros(date: Date): string {
  return `${date.getTime()}000`;
}

function count(value: number | null): string {
  return value === null ? '' : String(value);
}
