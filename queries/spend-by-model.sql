-- Report: Spend by model
--
-- What each model spent per day, week or month, by provider: requests, failed requests, unpriced
-- calls, tokens (input, cached, output), cost and cost per priced request. The model is the one the
-- application asked for (request_model), so dated variants the provider answered with count together.
-- Calls with no provider or model show '(unknown)'. Unpriced calls are counted in unpriced_calls and
-- left out of cost_usd and cost_per_request_usd: a period with only unpriced calls shows a NULL cost,
-- never 0.
--
-- Whole days come from the daily spend cache (spend_daily) while it is fresh, the rest from llm_calls: the
-- figures are the same to the nano-dollar either way.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
--   $grain  VARCHAR    day | week (weeks start on Monday) | month (default: month)
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
daily AS (
  -- Per day on the raw columns first (cheap keys), then the days roll up into the grain.
  SELECT
    start_time::DATE                   AS day,
    provider, request_model,
    count(*)                           AS requests,
    count(*) FILTER (status = 'error') AS failed_requests,
    count(*) FILTER (cost_usd IS NULL) AS unpriced_calls,
    sum(input_tokens)                  AS input_tokens,
    sum(cache_read_tokens)             AS cached_tokens,
    sum(output_tokens)                 AS output_tokens,
    sum(cost_usd)                      AS cost_usd
  FROM calls
  WHERE ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  GROUP BY ALL
  UNION ALL
  SELECT
    day,
    provider, request_model,
    sum(requests), sum(failed_requests), sum(unpriced_calls), sum(input_tokens), sum(cached_tokens), sum(output_tokens),
    sum(cost_usd)
  FROM spend_daily
  WHERE day IN (SELECT day FROM cached_days)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  GROUP BY ALL
)
SELECT
  date_trunc(coalesce($grain::VARCHAR, 'month'), day)::DATE AS period,
  coalesce(provider, '(unknown)')          AS provider,
  coalesce(request_model, '(unknown)')     AS model,
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
ORDER BY period, cost_usd DESC NULLS LAST, provider, model;
