-- Report: Cost per conversation
--
-- The most expensive conversations (span attribute gen_ai.conversation.id, read from
-- llm_calls.attributes): team and user of the conversation's earliest call that has one, calls,
-- traces, first and last call, tokens (input, cached, output), cost, and unpriced calls. Calls
-- without a conversation id are left out; only calls that started in the period count.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects conversations without a team (default: all)
--   $limit  INTEGER    most expensive conversations to show (default: 50)
WITH conversations AS (
  SELECT
    attributes ->> '$."gen_ai.conversation.id"' AS conversation_id,
    arg_min(team, start_time)                   AS team,
    arg_min(user_id, start_time)                AS user_id,
    count(*)                                    AS calls,
    count(DISTINCT trace_id)                    AS traces,
    min(start_time)                             AS first_call,
    max(start_time)                             AS last_call,
    sum(input_tokens)                           AS input_tokens,
    sum(cache_read_tokens)                      AS cached_tokens,
    sum(output_tokens)                          AS output_tokens,
    sum(cost_usd)                               AS cost_usd,
    count(*) FILTER (cost_usd IS NULL)          AS unpriced_calls
  FROM llm_calls
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    -- contains() is a cheap text test that spares the JSON parse for calls without the key.
    AND contains(attributes, 'gen_ai.conversation.id')
  GROUP BY conversation_id
  HAVING conversation_id IS NOT NULL
)
SELECT
  conversation_id,
  coalesce(team, '(unallocated)') AS team,
  user_id,
  calls,
  traces,
  first_call,
  last_call,
  input_tokens::BIGINT            AS input_tokens,
  cached_tokens::BIGINT           AS cached_tokens,
  output_tokens::BIGINT           AS output_tokens,
  cost_usd,
  unpriced_calls
FROM conversations
WHERE $team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)'))
ORDER BY cost_usd DESC NULLS LAST, conversation_id
LIMIT coalesce($limit::INTEGER, 50);
