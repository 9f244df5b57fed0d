-- Report: Unallocated share of spend
--
-- How much of the period's spend has no owning team (no chargeback.team on the span, the emitting
-- service's resource or a processor rule), against the goal of staying under 5%: total and unallocated
-- calls and cost, the unallocated share of cost and of calls, and whether the goal is met. Unpriced
-- calls cannot be weighed by cost; they are counted (unpriced_calls, unallocated_unpriced_calls).
-- Where the unallocated spend comes from: unallocated-sources.
--
-- Whole days come from the daily spend cache (spend_daily) while it is fresh, the rest from llm_calls: the
-- figures are the same to the nano-dollar either way.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
WITH period_bounds AS (
  SELECT
    coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY) AS since,
    coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)                   AS until
),
cached_days AS (
  -- Whole UTC days inside the period whose spend_daily rows are fresh: read from the cache.
  SELECT day
  FROM spend_daily_days, period_bounds
  WHERE fresh AND day::TIMESTAMP >= since AND day::TIMESTAMP + INTERVAL 1 DAY <= until
),
raw_ranges AS (
  -- The rest is read from llm_calls in three start_time ranges, each pruned by the scan: before the first
  -- cached day, after the last one, and the stale days in between. An empty range is [until, until), never
  -- NULL, which would not prune.
  SELECT
    since,
    until,
    coalesce(min(day)::TIMESTAMP, until)                                   AS cached_from,
    coalesce(max(day)::TIMESTAMP + INTERVAL 1 DAY, until)                  AS cached_to,
    coalesce((min(day + 1) FILTER (next_day > day + 1))::TIMESTAMP, until) AS gaps_from,
    coalesce((max(next_day) FILTER (next_day > day + 1))::TIMESTAMP, until) AS gaps_to
  FROM period_bounds
  LEFT JOIN (SELECT day, lead(day) OVER (ORDER BY day) AS next_day FROM cached_days) ON true
  GROUP BY since, until
),
calls AS (
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.since AND c.start_time < r.cached_from
  UNION ALL
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.cached_to AND c.start_time < r.until
  UNION ALL
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.gaps_from AND c.start_time < r.gaps_to
    AND c.start_time::DATE NOT IN (SELECT day FROM cached_days)
),
parts AS (
  SELECT
    count(*)                                            AS calls,
    count(*) FILTER (team IS NULL)                      AS unallocated_calls,
    count(*) FILTER (cost_usd IS NULL)                  AS unpriced_calls,
    count(*) FILTER (team IS NULL AND cost_usd IS NULL) AS unallocated_unpriced_calls,
    sum(cost_usd)                                       AS total_cost_usd,
    sum(cost_usd) FILTER (team IS NULL)                 AS unallocated_priced_cost_usd
  FROM calls
  UNION ALL
  SELECT
    sum(requests),
    sum(requests) FILTER (team IS NULL),
    sum(unpriced_calls),
    sum(unpriced_calls) FILTER (team IS NULL),
    sum(cost_usd),
    sum(cost_usd) FILTER (team IS NULL)
  FROM spend_daily
  WHERE day IN (SELECT day FROM cached_days)
),
totals AS (
  SELECT
    sum(calls)::BIGINT                      AS calls,
    sum(unallocated_calls)::BIGINT          AS unallocated_calls,
    sum(unpriced_calls)::BIGINT             AS unpriced_calls,
    sum(unallocated_unpriced_calls)::BIGINT AS unallocated_unpriced_calls,
    sum(total_cost_usd)                     AS total_cost_usd,
    sum(unallocated_priced_cost_usd)        AS unallocated_priced_cost_usd
  FROM parts
)
SELECT
  calls,
  unallocated_calls,
  unpriced_calls,
  unallocated_unpriced_calls,
  total_cost_usd,
  -- With priced spend in the period, no unallocated priced call means exactly 0; without any, unknown.
  CASE WHEN total_cost_usd IS NOT NULL THEN coalesce(unallocated_priced_cost_usd, 0) END AS unallocated_cost_usd,
  round(100 * unallocated_cost_usd / nullif(total_cost_usd, 0), 2)                      AS unallocated_share_pct,
  round(100 * unallocated_calls / nullif(calls, 0), 2)                                  AS unallocated_calls_pct,
  5.0                                                                                   AS goal_pct,
  unallocated_share_pct < 5.0                                                           AS meets_goal
FROM totals;
