-- Daily spend: (re)compute the spend_daily rows of the UTC days in [$since, $until) from llm_calls. The caller
-- (store/spend-daily.ts, bench/generate-ledger.ts) deletes those days' rows first and marks them fresh in
-- spend_daily_days in the same transaction. $since and $until are UTC midnights (TIMESTAMP), so the start_time
-- range prunes the scan to those days.
INSERT INTO spend_daily
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
FROM llm_calls
WHERE start_time >= $since
  AND start_time <  $until
GROUP BY ALL;
