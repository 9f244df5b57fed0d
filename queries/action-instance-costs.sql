-- Report: Cost per action across traces
--
-- What one business action costs when it fans out over several traces (a request that enqueues jobs,
-- a batch that calls back): the calls of one action are grouped by the span attribute
-- chargeback.action_id (read from llm_calls.attributes) when set, else by the trace their trace's root
-- span links to (trace_roots.origin_trace_id, followed through chains of links: a queued job's trace
-- links to the request that enqueued it), else by their own trace; so an action counts once however
-- many traces it spans. Per action name and team: actions,
-- traces, calls, total cost, and the mean, p50 and p95 cost of one action (over fully priced actions;
-- actions with an unpriced call are counted in actions_with_unpriced_calls and their known cost is in
-- total_cost_usd). An action's name and team are those of its earliest call's trace.
-- Only calls that started in the period count.
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $team   VARCHAR[]  only these teams; '(unallocated)' selects actions without a team (default: all)
WITH RECURSIVE links(trace_id, origin, depth) AS (
  SELECT trace_id, origin_trace_id, 1 FROM trace_roots WHERE origin_trace_id IS NOT NULL
  UNION ALL
  SELECT l.trace_id, r.origin_trace_id, l.depth + 1
  FROM links l JOIN trace_roots r ON r.trace_id = l.origin
  WHERE r.origin_trace_id IS NOT NULL AND l.depth < 16
),
origins AS (
  SELECT trace_id, arg_max(origin, depth) AS origin FROM links GROUP BY trace_id
),
calls AS (
  SELECT
    -- contains() is a cheap text test that spares the JSON parse for calls without the key.
    coalesce(CASE WHEN contains(c.attributes, 'chargeback.action_id')
                  THEN c.attributes ->> '$."chargeback.action_id"' END, o.origin, c.trace_id) AS instance,
    -- The action's name and team are its trace's (the actions row: root span name or chargeback.action,
    -- the originating request's team), the call's own for a trace not rolled up yet.
    c.trace_id, coalesce(a.action, c.action) AS action, coalesce(a.team, c.team) AS team, c.start_time, c.cost_usd
  FROM llm_calls c
  LEFT JOIN origins o ON o.trace_id = c.trace_id
  LEFT JOIN actions a ON a.trace_id = c.trace_id
  WHERE c.start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND c.start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
),
instances AS (
  SELECT
    instance,
    arg_min(action, start_time)        AS action,
    arg_min(team, start_time)          AS team,
    count(DISTINCT trace_id)           AS traces,
    count(*)                           AS calls,
    count(*) FILTER (cost_usd IS NULL) AS unpriced_calls,
    sum(cost_usd)                      AS cost_usd
  FROM calls
  GROUP BY instance
),
per_group AS (
  SELECT
    action,
    team,
    count(*)                                                         AS actions,
    sum(traces)                                                      AS traces,
    sum(calls)                                                       AS calls,
    count(*) FILTER (unpriced_calls > 0)                             AS actions_with_unpriced_calls,
    sum(cost_usd)                                                    AS total_cost_usd,
    avg(cost_usd) FILTER (unpriced_calls = 0)                        AS mean_cost_usd,
    -- Interpolated on the exact decimal (the result is truncated to the nano-dollar).
    quantile_cont(cost_usd, [0.5, 0.95]) FILTER (unpriced_calls = 0) AS quantiles
  FROM instances
  WHERE $team IS NULL OR list_contains($team::VARCHAR[], coalesce(team, '(unallocated)'))
  GROUP BY ALL
)
SELECT
  coalesce(action, '(unnamed)')            AS action,
  coalesce(team, '(unallocated)')          AS team,
  actions,
  traces::BIGINT                           AS traces,
  calls::BIGINT                            AS calls,
  actions_with_unpriced_calls,
  total_cost_usd,
  CAST(mean_cost_usd AS DECIMAL(38, 9))    AS mean_cost_usd,
  quantiles[1]                             AS p50_cost_usd,
  quantiles[2]                             AS p95_cost_usd
FROM per_group
ORDER BY total_cost_usd DESC NULLS LAST, action, team;
