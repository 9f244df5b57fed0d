-- The spend_days table macro, over the tables of queries/schema.sql. The processor defines it next to the schema
-- (a TEMP copy on a read-only ledger written before it existed); on views over a Parquet snapshot, run this file
-- once after creating the views, and the report files run unchanged.
--
-- spend_days(since, until): the spend of the calls that started in [since, until), per UTC day and spend_daily
-- group, exact: fresh whole days from spend_daily, everything else from llm_calls, aggregated the same way.
-- The spend reports read this; queries/refresh-spend-daily.sql fills the cache with it. The calls outside the
-- cached days are read in three start_time ranges, each pruned by the scan: before the first cached day, after
-- the last one, and the stale days in between. An empty range is [until, until), never NULL, which would not prune.
CREATE OR REPLACE MACRO spend_days(since, until) AS TABLE
WITH period_bounds AS (
  SELECT since::TIMESTAMP AS lo, until::TIMESTAMP AS hi
),
cached_days AS (
  SELECT day
  FROM spend_daily_days, period_bounds
  WHERE fresh AND day::TIMESTAMP >= lo AND day::TIMESTAMP + INTERVAL 1 DAY <= hi
),
raw_ranges AS (
  SELECT
    lo,
    hi,
    coalesce(min(day)::TIMESTAMP, hi)                                   AS cached_from,
    coalesce(max(day)::TIMESTAMP + INTERVAL 1 DAY, hi)                  AS cached_to,
    coalesce((min(day + 1) FILTER (next_day > day + 1))::TIMESTAMP, hi) AS gaps_from,
    coalesce((max(next_day) FILTER (next_day > day + 1))::TIMESTAMP, hi) AS gaps_to
  FROM period_bounds
  LEFT JOIN (SELECT day, lead(day) OVER (ORDER BY day) AS next_day FROM cached_days) ON true
  GROUP BY lo, hi
),
calls AS (
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.lo AND c.start_time < r.cached_from
  UNION ALL
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.cached_to AND c.start_time < r.hi
  UNION ALL
  SELECT c.* FROM llm_calls c, raw_ranges r
  WHERE c.start_time >= r.gaps_from AND c.start_time < r.gaps_to
    AND c.start_time::DATE NOT IN (SELECT day FROM cached_days)
)
SELECT
  start_time::DATE                   AS day,
  team,
  environment,
  provider,
  request_model,
  price_id,
  cost_source,
  count(*)                           AS requests,
  count(*) FILTER (status = 'error') AS failed_requests,
  count(*) FILTER (cost_usd IS NULL) AS unpriced_calls,
  sum(input_tokens)                  AS input_tokens,
  sum(cache_read_tokens)             AS cached_tokens,
  sum(output_tokens)                 AS output_tokens,
  sum(cost_usd)                      AS cost_usd
FROM calls
GROUP BY ALL
UNION ALL
SELECT
  day, team, environment, provider, request_model, price_id, cost_source, requests, failed_requests,
  unpriced_calls, input_tokens, cached_tokens, output_tokens, cost_usd
FROM spend_daily
WHERE day IN (SELECT day FROM cached_days);
