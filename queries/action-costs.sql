-- Report: Cost per action
--
-- What one user action costs, per action name and team: how many actions ran, their total cost, and
-- the mean, median (p50) and p95 cost of one action. An action is one trace in the actions table
-- (the roll-up of a trace's model calls); for actions that fan out over several traces see
-- action-instance-costs. Actions with an unpriced call are counted in actions_with_unpriced_calls;
-- their known cost is in total_cost_usd, but mean, p50 and p95 cover fully priced actions only, so an
-- unknown cost never pulls a typical cost down.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start of the action, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects actions without a team (default: all)
WITH per_group AS (
  SELECT
    action,
    team,
    count(*)                                                                  AS actions,
    sum(calls)                                                                AS calls,
    count(*) FILTER (unpriced_calls > 0)                                      AS actions_with_unpriced_calls,
    sum(cost_usd)                                                             AS total_cost_usd,
    avg(cost_usd) FILTER (unpriced_calls = 0)                                 AS mean_cost_usd,
    -- Interpolated on the exact decimal (the result is truncated to the nano-dollar).
    quantile_cont(cost_usd, [0.5, 0.95]) FILTER (unpriced_calls = 0)          AS quantiles
  FROM actions
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  GROUP BY ALL
)
SELECT
  action,
  coalesce(team, '(unallocated)')          AS team,
  actions,
  calls::BIGINT                            AS calls,
  actions_with_unpriced_calls,
  total_cost_usd,
  CAST(mean_cost_usd AS DECIMAL(38, 9))    AS mean_cost_usd,
  quantiles[1]                             AS p50_cost_usd,
  quantiles[2]                             AS p95_cost_usd
FROM per_group
ORDER BY total_cost_usd DESC NULLS LAST, action, team;
