-- Report: Most expensive actions
--
-- The highest-cost user actions (one trace each, from the actions table) in the period: action and
-- root span, team, project, feature, customer, user, environment, service, when and how long, how many
-- model calls (failed, unpriced), tokens, cost (and the part spent on failed calls), the models used,
-- and whether the roll-up has seen the whole trace (complete). An action with unpriced calls ranks by
-- its known cost; unpriced_calls says it is a lower bound.
--
-- How: the ranking's first key is the cost, so the actions that can rank are those costing at least the
-- limit-th highest cost of the period. That bound is found from the cost column alone, and only the few actions
-- at or above it are read whole and ranked by every key: the same rows as ranking the whole period, read faster.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start of the action, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects actions without a team (default: all)
--   $limit  INTEGER    actions to show (default: 20)
WITH period AS (
  SELECT cost_usd
  FROM actions
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
    AND cost_usd IS NOT NULL
),
cost_floor AS (
  SELECT min(cost_usd) AS cost_usd
  FROM (SELECT cost_usd FROM period ORDER BY cost_usd DESC LIMIT coalesce($limit::INTEGER, 20))
)
SELECT
  start_time,
  action,
  root_span_name,
  coalesce(team, '(unallocated)')                                   AS team,
  project,
  feature,
  customer,
  user_id,
  environment,
  service_name,
  round(date_diff('microsecond', start_time, end_time) / 1000, 3)  AS duration_ms,
  calls,
  failed_calls,
  unpriced_calls,
  input_tokens,
  cache_read_tokens                                                 AS cached_tokens,
  output_tokens,
  cost_usd,
  failed_cost_usd,
  array_to_string(models, ', ')                                     AS models,
  complete,
  trace_id
FROM actions
WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
  AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
  AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  AND cost_usd >= (SELECT cost_usd FROM cost_floor)
ORDER BY cost_usd DESC, start_time, trace_id
LIMIT coalesce($limit::INTEGER, 20);
