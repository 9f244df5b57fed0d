-- Report: Unpriced calls by model
--
-- Calls the price book could not price (cost_usd NULL, cost_source 'unpriced'), by provider, model and
-- service tier: how many, how many arrived without any token usage, the tokens that did arrive, which
-- teams made them, and when they were first and last seen. Their cost is unknown, not zero: add the
-- model to a price book (--prices) and these calls show what is missing from every spend report. On
-- calls with tokens, a service tier other than '(standard)' (OpenAI flex, priority, scale: the tier the
-- processor read from the span, `chargeback.service_tier` in attributes) means the book lacks that
-- tier's rates for the model (its entry's service_tiers), or the model itself; calls without usage
-- are unpriced whatever their tier. `hosted_tools` lists the tools billed per call that the calls used
-- (web_search: `chargeback.tool_calls.<tool>` in attributes); a model that is priced without them
-- lacks the fee (its entry's per_tool_call), and such calls stay unpriced rather than look free.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
SELECT
  coalesce(provider, '(unknown)')                                                   AS provider,
  coalesce(request_model, '(unknown)')                                              AS model,
  coalesce(attributes ->> '$."chargeback.service_tier"', '(standard)')              AS service_tier,
  coalesce(nullif(array_to_string(list_sort(list_transform(
    list_filter(json_keys(attributes), lambda k: starts_with(k, 'chargeback.tool_calls.')),
    lambda k: k[23:])), ', '), ''), '(none)')                                        AS hosted_tools,
  string_agg(DISTINCT response_model, ', ' ORDER BY response_model)                 AS response_models,
  count(*)                                                                          AS calls,
  count(*) FILTER (input_tokens IS NULL AND output_tokens IS NULL)                  AS calls_without_usage,
  sum(input_tokens)                                                                 AS input_tokens,
  sum(output_tokens)                                                                AS output_tokens,
  string_agg(DISTINCT coalesce(team, '(unallocated)'), ', ' ORDER BY coalesce(team, '(unallocated)')) AS teams,
  min(start_time)                                                                   AS first_seen,
  max(start_time)                                                                   AS last_seen
FROM llm_calls
WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
  AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
  AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)')))
  AND cost_usd IS NULL
GROUP BY ALL
ORDER BY calls DESC, provider, model, service_tier, hosted_tools;
