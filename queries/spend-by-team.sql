-- Report: Spend by team
--
-- What each team spent per day, week or month: requests, failed requests, unpriced calls, tokens
-- (input, cached, output), cost and cost per priced request. Calls without a team show as
-- '(unallocated)'. Unpriced calls are counted in unpriced_calls and left out of cost_usd and
-- cost_per_request_usd: a period with only unpriced calls shows a NULL cost, never 0.
--
-- Whole days come from the daily spend cache (spend_daily) while it is fresh, the rest from llm_calls: the
-- figures are the same to the nano-dollar either way.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
--   $grain  VARCHAR    day | week (weeks start on Monday) | month (default: month)
WITH daily AS (
  SELECT *
  FROM spend_days(coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY), coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP))
  WHERE ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
)
SELECT
  date_trunc(coalesce($grain::VARCHAR, 'month'), day)::DATE AS period,
  coalesce(team, '(unallocated)')          AS team,
  sum(requests)::BIGINT                    AS requests,
  sum(failed_requests)::BIGINT             AS failed_requests,
  sum(unpriced_calls)::BIGINT              AS unpriced_calls,
  sum(input_tokens)::BIGINT                AS input_tokens,
  sum(cached_tokens)::BIGINT               AS cached_tokens,
  sum(output_tokens)::BIGINT               AS output_tokens,
  sum(cost_usd)                            AS cost_usd,
  CAST(sum(cost_usd) / nullif(sum(requests) - sum(unpriced_calls), 0) AS DECIMAL(18, 9)) AS cost_per_request_usd
FROM daily
GROUP BY ALL
ORDER BY period, cost_usd DESC NULLS LAST, team;
