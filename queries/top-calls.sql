-- Report: Most expensive calls
--
-- The highest-cost model calls in the period with everything finance asks about one: when, which
-- team, project, feature, customer, user, environment, service and route, which provider and model
-- (asked for and answered), which price-book entry priced it (price_id) and from what (cost_source),
-- how many tokens of each kind, whether it failed, and the trace and span to look it up in a tracing
-- tool. Route is the call's http.route attribute when present, otherwise its action (by default the
-- trace's root span name, e.g. 'POST /api/search'). Unpriced calls have no cost to rank: see
-- unpriced-models.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
--   $limit  INTEGER    calls to show (default: 20)
SELECT
  start_time,
  coalesce(team, '(unallocated)')                  AS team,
  project,
  feature,
  customer,
  user_id,
  environment,
  service_name,
  coalesce(attributes ->> '$."http.route"', action) AS route,
  provider,
  request_model,
  response_model,
  price_id,
  cost_source,
  input_tokens,
  cache_read_tokens                                AS cached_tokens,
  cache_write_tokens,
  output_tokens,
  reasoning_tokens,
  cost_usd,
  status,
  error_type,
  duration_ms,
  trace_id,
  span_id
FROM llm_calls
WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
  AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
  AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  AND cost_usd IS NOT NULL
ORDER BY cost_usd DESC, start_time, trace_id, span_id
LIMIT coalesce($limit::INTEGER, 20);
