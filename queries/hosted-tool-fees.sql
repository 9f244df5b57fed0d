-- Report: Hosted-tool fees by team and model
--
-- What the hosted tools billed per call (web search, file search: `chargeback.tool_calls.<tool>` and
-- `chargeback.tool_fee_usd.<tool>` in attributes, recorded by the genai-chargeback preload) cost each team,
-- per provider, model and tool: the calls that used the tool, how many tool calls they made, their fees
-- (part of cost_usd everywhere else), and the whole cost of those calls, tokens included (a call that
-- used two tools counts in both rows). Calls the book could not price for want of the tool's fee (or
-- the model's price) are counted in unpriced_calls and add nothing to the fees: a row of only those shows
-- a NULL fee, never 0. Calls traced by other instrumentations carry no tool counts and are not here.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects calls without a team (default: all)
WITH tool_calls AS (
  SELECT
    coalesce(c.team, '(unallocated)')                                                   AS team,
    coalesce(c.provider, '(unknown)')                                                   AS provider,
    coalesce(c.request_model, c.response_model, '(unknown)')                            AS model,
    substr(used.key, 23)                                                                AS tool,
    CAST(used.value ->> '$' AS BIGINT)                                                  AS tool_calls,
    CAST(c.attributes ->> ('$."chargeback.tool_fee_usd.' || substr(used.key, 23) || '"') AS DECIMAL(18, 9)) AS fee_usd,
    c.cost_usd
  FROM llm_calls c, json_each(c.attributes) AS used
  WHERE c.start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND c.start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND ($team IS NULL OR list_contains($team::VARCHAR[], coalesce(c.team, '(unallocated)')))
    -- Most calls use no hosted tool: the text test skips them before their JSON is taken apart.
    AND contains(CAST(c.attributes AS VARCHAR), 'chargeback.tool_calls.')
    AND starts_with(used.key, 'chargeback.tool_calls.')
)
SELECT
  team,
  provider,
  model,
  tool,
  count(*)                                 AS calls,
  count(*) FILTER (cost_usd IS NULL)       AS unpriced_calls,
  sum(tool_calls)::BIGINT                  AS tool_calls,
  sum(fee_usd)                             AS fees_usd,
  sum(cost_usd)                            AS calls_cost_usd
FROM tool_calls
GROUP BY ALL
ORDER BY fees_usd DESC NULLS LAST, team, provider, model, tool;
