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
WITH totals AS (
  SELECT
    coalesce(sum(requests), 0)::BIGINT                                 AS calls,
    coalesce(sum(requests) FILTER (team IS NULL), 0)::BIGINT           AS unallocated_calls,
    coalesce(sum(unpriced_calls), 0)::BIGINT                           AS unpriced_calls,
    coalesce(sum(unpriced_calls) FILTER (team IS NULL), 0)::BIGINT     AS unallocated_unpriced_calls,
    sum(cost_usd)                                                      AS total_cost_usd,
    sum(cost_usd) FILTER (team IS NULL)                                AS unallocated_priced_cost_usd
  FROM spend_days(coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY), coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP))
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
