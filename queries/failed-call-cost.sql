-- Report: Cost of failed calls
--
-- What failed model calls (status 'error': provider errors, timeouts, cancelled streams that were still
-- billed) cost, by team and route: failed calls, the unpriced ones among them, their cost, the team's
-- whole spend in the period and the failed share of it, and the error types seen. Route is the call's
-- http.route attribute when present, otherwise its action (by default the trace's root span name).
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
WITH team_spend AS (
  SELECT team, sum(cost_usd) AS cost_usd
  FROM llm_calls
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  GROUP BY team
),
failed AS (
  -- Only failed calls reach the JSON attributes.
  SELECT
    team,
    coalesce(attributes ->> '$."http.route"', action, '(unknown)')                        AS route,
    count(*)                                                                              AS failed_calls,
    count(*) FILTER (cost_usd IS NULL)                                                    AS unpriced_failed_calls,
    sum(cost_usd)                                                                         AS failed_cost_usd,
    string_agg(DISTINCT coalesce(error_type, '(none)'), ', ' ORDER BY coalesce(error_type, '(none)')) AS error_types
  FROM llm_calls
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
    AND status = 'error'
  GROUP BY ALL
)
SELECT
  coalesce(failed.team, '(unallocated)')                                               AS team,
  failed.route,
  failed.failed_calls,
  failed.unpriced_failed_calls,
  failed.failed_cost_usd,
  team_spend.cost_usd                                                                  AS team_cost_usd,
  round(100 * failed.failed_cost_usd / nullif(team_spend.cost_usd, 0), 2)              AS share_of_team_spend_pct,
  failed.error_types
FROM failed
JOIN team_spend ON failed.team IS NOT DISTINCT FROM team_spend.team
ORDER BY failed.failed_cost_usd DESC NULLS LAST, failed.failed_calls DESC, team, failed.route;
