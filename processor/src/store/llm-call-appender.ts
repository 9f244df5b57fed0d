import { DuckDBDecimalValue, DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import type { LlmCall } from '../ledger/llm-call.js';

/** Appends one `llm_calls` row; the order here is the column order of queries/schema.sql. */
export function appendLlmCall(appender: DuckDBAppender, row: LlmCall): void {
  appender.appendVarchar(row.trace_id);
  appender.appendVarchar(row.span_id);
  appendText(appender, row.parent_span_id);
  appender.appendTimestamp(timestamp(row.start_time));
  appender.appendTimestamp(timestamp(row.end_time));
  appender.appendDouble(row.duration_ms);
  appendText(appender, row.service_name);
  appendText(appender, row.team);
  appendText(appender, row.project);
  appendText(appender, row.feature);
  appendText(appender, row.customer);
  appendText(appender, row.user_id);
  appendText(appender, row.environment);
  appendText(appender, row.action);
  appendText(appender, row.provider);
  appendText(appender, row.operation);
  appendText(appender, row.request_model);
  appendText(appender, row.response_model);
  appendText(appender, row.response_id);
  appendCount(appender, row.input_tokens);
  appendCount(appender, row.output_tokens);
  appendCount(appender, row.cache_read_tokens);
  appendCount(appender, row.cache_write_tokens);
  appendCount(appender, row.reasoning_tokens);
  if (row.cost_nanos === null) appender.appendNull();
  else appender.appendDecimal(new DuckDBDecimalValue(row.cost_nanos, 18, 9));
  appender.appendVarchar(row.cost_source);
  appendText(appender, row.price_id);
  appender.appendVarchar(row.status);
  appendText(appender, row.error_type);
  if (row.attempts === null) appender.appendNull();
  else appender.appendInteger(row.attempts);
  appender.appendTimestamp(timestamp(row.received_at));
  appender.appendVarchar(row.attributes);
  appender.endRow();
}

function appendText(appender: DuckDBAppender, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendCount(appender: DuckDBAppender, value: number | null): void {
  if (value === null) appender.appendNull();
  else appender.appendBigInt(BigInt(value));
}

export function timestamp(date: Date): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);
}
