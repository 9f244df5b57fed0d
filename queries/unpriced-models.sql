-- Report: Unpriced calls by model
--
-- Calls the price book could not price (cost_usd NULL, cost_source 'unpriced'), by provider, model,
-- service tier, hosted tools and reason: how many, how many arrived without any token usage, the tokens
-- that did arrive, which teams made them, and when they were first and last seen. Their cost is
-- unknown, not zero: add the model to a price book (--prices) and these calls show what is missing
-- from every spend report. `unpriced_reason` (`chargeback.unpriced_reason` in attributes) says what the
-- book lacks: unknown_model (the model), before_first_price (a price in force at the call's start),
-- unknown_service_tier (the rates of the tier that served the call, OpenAI flex, priority, scale: its
-- entry's service_tiers), unknown_tool_fee (the fee of a hosted tool the call used: its entry's
-- per_tool_call), no_usage (nothing to price: the call reported no tokens), no_provider, no_model;
-- '(not recorded)' for calls stored before the processor recorded it. `service_tier` is the tier the
-- processor read from the span (`chargeback.service_tier`); `hosted_tools` the tools billed per call
-- that the calls used (web_search: `chargeback.tool_calls.<tool>`).
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
  coalesce(attributes ->> '$."chargeback.unpriced_reason"', '(not recorded)')       AS unpriced_reason,
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
ORDER BY calls DESC, provider, model, service_tier, hosted_tools, unpriced_reason;
