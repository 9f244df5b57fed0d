-- genai-chargeback DuckDB schema (the analysts' interface; DESIGN.md "DuckDB schema contract").
-- The processor runs this file at start-up; every statement is idempotent.

-- One row per model call. Append-only; a call reported by several spans is one row. (trace_id, span_id) is
-- unique: the processor's single writer guarantees it with an anti-join on insert (store/ledger-writer.ts)
-- instead of a primary-key index, which measured 2–4× slower inserts and a 4× larger file.
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
  attributes          JSON                -- remaining non-content attributes (≤ 65,536 characters; chargeback.attributes_dropped counts the rest; chargeback.service_tier: the non-standard tier it was priced for; chargeback.tool_calls.<tool> / chargeback.tool_fee_usd.<tool>: web and file searches and their fee, part of cost_usd; chargeback.unpriced_reason: why the book could not price it)
);

-- One row per trace with at least one GenAI call; rebuildable from llm_calls. trace_id is unique, here and in
-- trace_roots: the roll-up's action store, their one writer, deletes a trace's rows before it writes them again,
-- and writes a trace's root only with its action, in one transaction. Not a primary key: DuckDB keeps an ART
-- index's nodes in memory for as long as the process runs, about 70 bytes per random trace id per table, so a
-- keyed table grows the service's memory without bound (and hits storage.memory_limit_mib).
CREATE TABLE IF NOT EXISTS actions (
  trace_id            VARCHAR NOT NULL,
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
  cost_usd            DECIMAL(38, 9),     -- sums: calls each under DECIMAL(18, 9)'s billion dollars can add up past it
  failed_cost_usd     DECIMAL(38, 9),
  models              VARCHAR[],
  complete            BOOLEAN NOT NULL,
  updated_at          TIMESTAMP NOT NULL
);

-- The root span of each trace that produced an action: what the roll-up learned from non-GenAI spans, which
-- are not stored themselves. With llm_calls it is all `actions` is computed from (queries/rollup-actions.sql),
-- so `genai-chargeback rebuild-actions` reproduces the live rows.
CREATE TABLE IF NOT EXISTS trace_roots (
  trace_id            VARCHAR NOT NULL,   -- unique, see actions
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

-- Daily spend: a cache of llm_calls that the spend reports read for whole UTC days, always exact (sums of the
-- same rows, to the nano-dollar). One row per day and group; unpriced calls are counted and left out of
-- cost_usd, so a group with only unpriced calls has a NULL cost, as in llm_calls. A day is read from here only
-- while its spend_daily_days row says fresh; every other day (today, a day that got a late call) is read from
-- llm_calls. The processor marks a day not fresh before it inserts a call of that day and recomputes past days
-- with queries/refresh-spend-daily.sql (store/spend-daily.ts). Anything else that inserts or deletes llm_calls
-- rows must mark their days not fresh in the same way. To force a rebuild:
--   UPDATE spend_daily_days SET fresh = false;   -- the running service recomputes them, a day at a time
-- or `genai-chargeback rebuild-actions` (service stopped), which rebuilds this cache too.
CREATE TABLE IF NOT EXISTS spend_daily (
  day               DATE NOT NULL,      -- UTC day of start_time
  team              VARCHAR,            -- NULL = unallocated
  environment       VARCHAR,
  provider          VARCHAR,
  request_model     VARCHAR,
  price_id          VARCHAR,
  cost_source       VARCHAR NOT NULL,
  requests          BIGINT NOT NULL,
  failed_requests   BIGINT NOT NULL,
  unpriced_calls    BIGINT NOT NULL,    -- calls with a NULL cost_usd
  input_tokens      BIGINT,             -- sums; NULL when no call of the group has the count
  cached_tokens     BIGINT,             -- cache_read_tokens
  output_tokens     BIGINT,
  cost_usd          DECIMAL(38, 9)      -- sum of the priced calls; NULL when none is priced
);

-- Which days of spend_daily may be read: one row per UTC day that has calls (or had them announced).
CREATE TABLE IF NOT EXISTS spend_daily_days (
  day               DATE PRIMARY KEY,
  fresh             BOOLEAN NOT NULL,   -- spend_daily holds exactly this day's calls
  refreshed_at      TIMESTAMP           -- UTC; when spend_daily was last computed for the day
);

-- Reconciliation against the providers' own usage and cost reports (`genai-chargeback reconcile`).
-- One row per run; a daily job adds one run a day, re-runs of a day add new runs (the newest one counts).
CREATE TABLE IF NOT EXISTS reconciliation_runs (
  run_id                  VARCHAR PRIMARY KEY,
  run_at                  TIMESTAMP NOT NULL,  -- UTC
  provider                VARCHAR NOT NULL,    -- 'openai' | 'anthropic'
  source                  VARCHAR NOT NULL,    -- 'files' | 'api'
  inputs                  VARCHAR[],           -- report files, or the admin API base URL
  period_start            DATE NOT NULL,       -- UTC days, inclusive
  period_end              DATE NOT NULL,       -- exclusive
  usage_scope             VARCHAR,             -- 'project' | 'api_key' | 'none'; NULL without a usage report
  cost_scope              VARCHAR,             -- same, for the cost report
  tolerance_percent       DOUBLE NOT NULL,
  tolerance_min_usd       DECIMAL(18, 9) NOT NULL,
  tolerance_min_tokens    BIGINT NOT NULL,
  tolerance_min_requests  BIGINT NOT NULL,
  rows_compared           INTEGER NOT NULL,
  cells_beyond            INTEGER NOT NULL,    -- cells beyond tolerance; 0 = the run passed
  provider_cost_usd       DECIMAL(18, 9),      -- over the days the cost report covers; NULL without one
  ledger_cost_usd         DECIMAL(18, 9),
  within_tolerance        BOOLEAN NOT NULL,
  notes                   VARCHAR[]            -- what was compared how, and what was not compared
);

-- One row per compared cell: (day, model, project/workspace or API key) × metric. delta = provider − ledger.
CREATE TABLE IF NOT EXISTS reconciliation_deltas (
  run_id            VARCHAR NOT NULL,
  day               DATE NOT NULL,           -- UTC
  provider          VARCHAR NOT NULL,
  model             VARCHAR NOT NULL,        -- base model id; '*' = all models; 'charge: <label>' = a non-model charge
  scope_kind        VARCHAR NOT NULL,        -- 'project' | 'api_key' | 'none'
  scope             VARCHAR NOT NULL,        -- the project/workspace or API key id; '*' when scope_kind = 'none'
  metric            VARCHAR NOT NULL,        -- requests | input_tokens (uncached) | cache_read_tokens | cache_write_tokens | output_tokens | cost_usd
  unit              VARCHAR NOT NULL,        -- 'requests' | 'tokens' | 'usd'
  provider_value    DECIMAL(38, 9) NOT NULL,
  ledger_value      DECIMAL(38, 9) NOT NULL,
  delta             DECIMAL(38, 9) NOT NULL, -- positive: billed but not in the ledger
  delta_pct         DOUBLE,                  -- delta / provider_value × 100; NULL when provider_value = 0
  beyond_tolerance  BOOLEAN NOT NULL,
  causes            VARCHAR[],               -- detected cause codes, for cells beyond tolerance
  explanation       VARCHAR
);

-- A month's chargeback that sums to the invoice: direct ledger spend plus a share of the unexplained remainder.
CREATE TABLE IF NOT EXISTS reconciliation_spreads (
  run_id            VARCHAR NOT NULL,
  month             VARCHAR NOT NULL,        -- YYYY-MM
  provider          VARCHAR NOT NULL,
  team              VARCHAR,                 -- NULL = unallocated (takes no share of the remainder)
  direct_cost_usd   DECIMAL(18, 9) NOT NULL,
  remainder_usd     DECIMAL(18, 9) NOT NULL,
  chargeback_usd    DECIMAL(18, 9) NOT NULL
);

-- Alerts the processor raised (processor/src/alerts/): budget thresholds, spend spikes, the day's unallocated
-- share, models the price book cannot price. The key makes each alert fire once per window, restarts included.
CREATE TABLE IF NOT EXISTS alerts (
  kind                VARCHAR NOT NULL,   -- 'budget_threshold' | 'spend_spike' | 'unallocated_share' | 'unpriced_model'
  subject             VARCHAR NOT NULL,   -- budget name | team | 'all' | 'provider/model' (+ ' on service tier T') (+ ' with <tools>' whose fee it lacks)
  window_start        TIMESTAMP NOT NULL, -- UTC: budget window | spike block | UTC day | epoch (once ever)
  window_end          TIMESTAMP,
  threshold           DOUBLE NOT NULL,    -- share of the limit | spike factor | max unallocated share | 0
  observed            DOUBLE,             -- share of the limit used | last hour ÷ hourly average | unallocated share
  amount_usd          DECIMAL(18, 9),     -- spent in the window | last hour's spend | unallocated cost
  reference_usd       DECIMAL(18, 9),     -- the limit | trailing 7-day hourly average | the day's total cost
  message             VARCHAR NOT NULL,
  details             JSON,
  raised_at           TIMESTAMP NOT NULL,
  delivery            VARCHAR NOT NULL,   -- 'pending' | 'delivered' | 'failed' | 'none' (no webhook configured)
  delivery_attempts   INTEGER NOT NULL,   -- HTTP requests made, all webhooks together
  delivered_at        TIMESTAMP,
  delivery_error      VARCHAR,
  PRIMARY KEY (kind, subject, window_start, threshold)
);
