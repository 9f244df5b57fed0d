-- Report: Where unallocated spend comes from
--
-- The services and routes whose calls have no owning team, by cost: calls, unpriced calls, cost, their
-- share of all unallocated cost and of the period's whole spend, and when they were first and last
-- seen. Fix the top rows (set chargeback.team in the service's OTEL_RESOURCE_ATTRIBUTES, pass baggage
-- from the caller, or add a processor attribution rule) to bring the unallocated share under 5%.
-- Route is the call's http.route attribute when present, otherwise its action (by default the trace's
-- root span name, e.g. 'POST /api/search').
--
-- Parameters:
--   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
--   $until  TIMESTAMP  exclusive end, UTC (default: no end)
--   $limit  INTEGER    sources to show (default: 20)
WITH spend AS (
  SELECT sum(cost_usd) AS cost_usd
  FROM llm_calls
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
),
sources AS (
  -- Only unallocated calls reach the JSON attributes.
  SELECT
    coalesce(service_name, '(unknown)')                                 AS service_name,
    coalesce(attributes ->> '$."http.route"', action, '(unknown)')      AS route,
    count(*)                                                            AS calls,
    count(*) FILTER (cost_usd IS NULL)                                  AS unpriced_calls,
    sum(cost_usd)                                                       AS cost_usd,
    min(start_time)                                                     AS first_seen,
    max(start_time)                                                     AS last_seen
  FROM llm_calls
  WHERE start_time >= coalesce($since::TIMESTAMP, now() AT TIME ZONE 'UTC' - INTERVAL 30 DAY)
    AND start_time <  coalesce($until::TIMESTAMP, 'infinity'::TIMESTAMP)
    AND team IS NULL
  GROUP BY ALL
)
SELECT
  service_name,
  route,
  calls,
  unpriced_calls,
  cost_usd,
  round(100 * cost_usd / nullif((SELECT sum(cost_usd) FROM sources), 0), 2)   AS share_of_unallocated_pct,
  round(100 * cost_usd / nullif((SELECT cost_usd FROM spend), 0), 2)           AS share_of_spend_pct,
  first_seen,
  last_seen
FROM sources
ORDER BY cost_usd DESC NULLS LAST, calls DESC, service_name, route
LIMIT coalesce($limit::INTEGER, 20);
