-- genai-chargeback DuckDB schema (the analysts' interface; DESIGN.md "DuckDB schema contract").
-- The processor runs this file at start-up; every statement is idempotent.

-- One row per model call. Append-only; a call reported by several spans is one row.
CREATE TABLE IF NOT EXISTS llm_calls (
  trace_id            VARCHAR NOT NULL,   -- 32 lowercase hex
  span_id             VARCHAR NOT NULL,   -- 16 lowercase hex
  parent_span_id      VARCHAR,
  start_time          TIMESTAMP NOT NULL, -- UTC
  end_time            TIMESTAMP NOT NULL, -- UTC
  duration_ms         DOUBLE NOT NULL,
  service_name        VARCHAR,
  team                VARCHAR,            -- NULL = unallocated
  project             VARCHAR,
  feature             VARCHAR,
  customer            VARCHAR,
  user_id             VARCHAR,
  environment         VARCHAR,
  action              VARCHAR,
  provider            VARCHAR,
  operation           VARCHAR,
  request_model       VARCHAR,
  response_model      VARCHAR,
  response_id         VARCHAR,
  input_tokens        BIGINT,             -- semconv meaning: includes cache read and cache write tokens
  output_tokens       BIGINT,             -- includes reasoning tokens
  cache_read_tokens   BIGINT,
  cache_write_tokens  BIGINT,
  reasoning_tokens    BIGINT,
  cost_usd            DECIMAL(18, 9),     -- NULL when unpriced, never 0 for "unknown"
  cost_source         VARCHAR NOT NULL,   -- 'computed' | 'reported' | 'unpriced'
  price_id            VARCHAR,            -- price-book entry and version that priced it
  status              VARCHAR NOT NULL,   -- 'ok' | 'error'
  error_type          VARCHAR,
  attempts            INTEGER,
  received_at         TIMESTAMP NOT NULL,
  attributes          JSON,               -- remaining non-content attributes
  PRIMARY KEY (trace_id, span_id)
);

-- One row per trace with at least one GenAI call; rebuildable from llm_calls.
CREATE TABLE IF NOT EXISTS actions (
  trace_id            VARCHAR PRIMARY KEY,
  action              VARCHAR NOT NULL,
  root_span_name      VARCHAR,
  service_name        VARCHAR,
  team                VARCHAR,
  project             VARCHAR,
  feature             VARCHAR,
  customer            VARCHAR,
  user_id             VARCHAR,
  environment         VARCHAR,
  start_time          TIMESTAMP NOT NULL,
  end_time            TIMESTAMP NOT NULL,
  calls               INTEGER NOT NULL,
  failed_calls        INTEGER NOT NULL,
  unpriced_calls      INTEGER NOT NULL,
  input_tokens        BIGINT,
  output_tokens       BIGINT,
  cache_read_tokens   BIGINT,
  cache_write_tokens  BIGINT,
  reasoning_tokens    BIGINT,
  cost_usd            DECIMAL(18, 9),
  failed_cost_usd     DECIMAL(18, 9),
  models              VARCHAR[],
  complete            BOOLEAN NOT NULL,
  updated_at          TIMESTAMP NOT NULL
);

-- The root span of each trace that produced an action: what the roll-up learned from non-GenAI spans, which
-- are not stored themselves. With llm_calls it is all `actions` is computed from (queries/rollup-actions.sql),
-- so `genai-chargeback rebuild-actions` reproduces the live rows.
CREATE TABLE IF NOT EXISTS trace_roots (
  trace_id            VARCHAR PRIMARY KEY,
  root_span_name      VARCHAR,
  service_name        VARCHAR,
  action              VARCHAR,            -- chargeback.action on the root span, if any
  team                VARCHAR,
  project             VARCHAR,
  feature             VARCHAR,
  customer            VARCHAR,
  user_id             VARCHAR,
  environment         VARCHAR,
  start_time          TIMESTAMP,
  end_time            TIMESTAMP,
  origin_trace_id     VARCHAR,            -- the trace a root span links to (queued job, fan-out), if any
  complete            BOOLEAN NOT NULL,   -- the root arrived and the trace went quiet before max_age
  updated_at          TIMESTAMP NOT NULL
);
