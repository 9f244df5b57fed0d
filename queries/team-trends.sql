-- Report: Week-over-week spend per team
--
-- Each team's spend per complete week (Monday to Sunday, UTC) with the change from the week before,
-- a z-score against the team's four previous weeks (a week without calls counts as 0), and an
-- outlier flag when |z| reaches $z_threshold. The trend says why spend moved, so growth is not
-- mistaken for waste: 'growing' = spend up while the cost per priced request stayed or fell (more
-- use), 'costlier per request' = spend up and each request cost more (bigger prompts, pricier model:
-- worth a look), 'shrinking', 'flat', 'new' (no spend the week before), 'idle' (no spend this week
-- or the week before). Weeks with only unpriced calls have a NULL cost: see unpriced-models.
--
-- Whole days come from the daily spend cache (spend_daily) while it is fresh, the rest from llm_calls: the
-- figures are the same to the nano-dollar either way.
--
-- Parameters:
--   $since        TIMESTAMP  first week shown: the week containing it, UTC (default: 8 weeks before $until)
--   $until        TIMESTAMP  weeks end before the week containing it, so only complete weeks show (default: now)
--   $team         VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
--   $z_threshold  DOUBLE     |z-score| from which a week is an outlier (default: 3)
WITH bounds AS (
  SELECT
    date_trunc('week', coalesce($until::TIMESTAMP, now() AT TIME ZONE 'UTC'))::TIMESTAMP AS end_week,
    date_trunc('week', coalesce($since::TIMESTAMP, end_week - INTERVAL 56 DAY))::TIMESTAMP AS first_week,
    -- The baseline of the first week shown reaches four weeks further back.
    first_week - INTERVAL 28 DAY AS baseline_start
),
daily AS (
  SELECT *
  FROM spend_days((SELECT baseline_start FROM bounds), (SELECT end_week FROM bounds))
  WHERE ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
),
weekly AS (
  SELECT
    coalesce(team, '(unallocated)')         AS team,
    date_trunc('week', day)::TIMESTAMP      AS week,
    sum(requests)                           AS requests,
    sum(unpriced_calls)                     AS unpriced_calls,
    sum(cost_usd)                           AS cost_usd
  FROM daily
  GROUP BY ALL
),
series AS (
  -- Every team in every week, so a quiet week is a 0 in the baseline rather than a gap.
  SELECT
    teams.team,
    weeks.week,
    coalesce(weekly.requests, 0)                                              AS requests,
    coalesce(weekly.unpriced_calls, 0)                                        AS unpriced_calls,
    CASE WHEN weekly.requests IS NULL THEN 0 ELSE weekly.cost_usd END         AS cost_usd,
    weekly.cost_usd / nullif(weekly.requests - weekly.unpriced_calls, 0)      AS cost_per_request
  FROM (SELECT DISTINCT team FROM weekly) AS teams
  CROSS JOIN (
    SELECT unnest(generate_series(baseline_start, end_week - INTERVAL 7 DAY, INTERVAL 7 DAY)) AS week FROM bounds
  ) AS weeks
  LEFT JOIN weekly USING (team, week)
),
scored AS (
  SELECT
    *,
    lag(cost_usd) OVER by_week         AS previous_cost_usd,
    lag(cost_per_request) OVER by_week AS previous_cost_per_request,
    avg(cost_usd) OVER baseline        AS baseline_mean,
    stddev_samp(cost_usd) OVER baseline AS baseline_stddev
  FROM series
  WINDOW
    by_week  AS (PARTITION BY team ORDER BY week),
    baseline AS (PARTITION BY team ORDER BY week ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING)
),
assessed AS (
  SELECT
    *,
    round((cost_usd - baseline_mean) / nullif(baseline_stddev, 0), 2) AS z_score
  FROM scored
)
SELECT
  week::DATE                                                                   AS week,
  team,
  requests,
  unpriced_calls,
  cost_usd,
  CAST(cost_per_request AS DECIMAL(18, 9))                                     AS cost_per_request_usd,
  previous_cost_usd,
  round(100 * (cost_usd - previous_cost_usd) / nullif(previous_cost_usd, 0), 1) AS change_pct,
  z_score,
  coalesce(abs(z_score) >= coalesce($z_threshold::DOUBLE, 3), false)           AS outlier,
  CASE
    WHEN requests = 0 AND coalesce(previous_cost_usd, 0) = 0               THEN 'idle'
    WHEN cost_usd IS NULL                                                  THEN NULL
    WHEN coalesce(previous_cost_usd, 0) = 0                                THEN 'new'
    WHEN cost_usd > previous_cost_usd AND cost_per_request > previous_cost_per_request THEN 'costlier per request'
    WHEN cost_usd > previous_cost_usd                                      THEN 'growing'
    WHEN cost_usd < previous_cost_usd                                      THEN 'shrinking'
    ELSE 'flat'
  END                                                                          AS trend
FROM assessed
WHERE week >= (SELECT first_week FROM bounds)
ORDER BY team, week;
