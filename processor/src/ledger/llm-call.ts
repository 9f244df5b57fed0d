/** One row of `llm_calls` (DESIGN.md, "DuckDB schema contract"). Field order = column order. */
export interface LlmCall {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  start_time: Date;
  end_time: Date;
  duration_ms: number;
  service_name: string | null;
  team: string | null;
  project: string | null;
  feature: string | null;
  customer: string | null;
  user_id: string | null;
  environment: string | null;
  action: string | null;
  provider: string | null;
  operation: string | null;
  request_model: string | null;
  response_model: string | null;
  response_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  /** Exact cost in billionths of a dollar (DECIMAL(18,9) unscaled); null when unpriced. */
  cost_nanos: bigint | null;
  cost_source: CostSource;
  price_id: string | null;
  status: 'ok' | 'error';
  error_type: string | null;
  attempts: number | null;
  received_at: Date;
  /** Remaining non-content attributes, as a JSON object string. */
  attributes: string;
}

export type CostSource = 'computed' | 'reported' | 'unpriced';
