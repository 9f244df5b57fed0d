-- Report: Chargeback line items for a month
--
-- The calls behind each team's chargeback for a calendar month (UTC), one line per team, project,
-- feature, provider, model and price-book entry: requests, unpriced calls, tokens (input, cached,
-- output) and cost. A team's lines sum to its direct_cost_usd in the chargeback report. Calls without a
-- team are under '(unallocated)'; price_id is '(unpriced)' for calls the book could not price and
-- '(reported)' for costs taken from the instrumentation.
--
-- Parameters:
--   $month  VARCHAR    calendar month, YYYY-MM, UTC (default: the previous month)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
WITH settings AS (
  SELECT CAST(coalesce($month::VARCHAR, strftime(now() AT TIME ZONE 'UTC' - INTERVAL 1 MONTH, '%Y-%m')) || '-01' AS TIMESTAMP)
           AS month_start
),
lines AS (
  SELECT
    team, project, feature, provider, request_model, price_id, cost_source,
    count(*)                           AS requests,
    count(*) FILTER (cost_usd IS NULL) AS unpriced_calls,
    sum(input_tokens)                  AS input_tokens,
    sum(cache_read_tokens)             AS cached_tokens,
    sum(output_tokens)                 AS output_tokens,
    sum(cost_usd)                      AS cost_usd
  FROM llm_calls
  WHERE start_time >= (SELECT month_start FROM settings)
    AND start_time <  (SELECT month_start + INTERVAL 1 MONTH FROM settings)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  GROUP BY ALL
)
SELECT
  strftime((SELECT month_start FROM settings), '%Y-%m')                                  AS month,
  coalesce(team, '(unallocated)')                                                        AS team,
  coalesce(project, '(none)')                                                            AS project,
  coalesce(feature, '(none)')                                                            AS feature,
  coalesce(provider, '(unknown)')                                                        AS provider,
  coalesce(request_model, '(unknown)')                                                   AS model,
  coalesce(price_id, CASE WHEN cost_source = 'reported' THEN '(reported)' ELSE '(unpriced)' END) AS price_id,
  sum(requests)::BIGINT                                                                  AS requests,
  sum(unpriced_calls)::BIGINT                                                            AS unpriced_calls,
  sum(input_tokens)::BIGINT                                                              AS input_tokens,
  sum(cached_tokens)::BIGINT                                                             AS cached_tokens,
  sum(output_tokens)::BIGINT                                                             AS output_tokens,
  sum(cost_usd)                                                                          AS cost_usd
FROM lines
GROUP BY ALL
ORDER BY team, cost_usd DESC NULLS LAST, project, feature, provider, model, price_id;
