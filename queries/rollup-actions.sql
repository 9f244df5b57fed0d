-- Roll-up: (re)compute the `actions` rows of the traces in $traces (VARCHAR: trace ids separated by commas).
-- Used by crash recovery at start-up, by `genai-chargeback rebuild-actions` and by the live roll-up for the traces
-- whose calls it did not all see itself (late spans, retried calls). Parameters $since and $until (TIMESTAMP): every call of these traces started
-- between them (they prune the scan; the live roll-up passes 'infinity' as $until). $roots_since (TIMESTAMP): every
-- root of these traces started at or after it. It keeps each live write from reading every root ever recorded
-- (trace_roots grows with every trace; zone maps on start_time skip all but the newest row groups); recovery and
-- rebuild pass '-infinity'.
-- Attribution: the originating request's (the root span, resolved span > resource > rules); a key the root
-- lacks falls back to the earliest call that has it (the baggage the request carried); calls that start in the
-- same millisecond are ordered by span id, so every computation picks the same one.
-- The live roll-up computes the other rows in JavaScript (rollup/action-row.ts), from the calls as they are
-- stored; that code mirrors this statement column for column, and test/rollup compares the two.
-- cost_usd is the total of the priced calls, failed ones included; failed_cost_usd is the failed part of it.
-- The caller deletes the traces' existing rows first: actions has no key to replace them by (see schema.sql).
INSERT INTO actions
SELECT
  c.trace_id,
  coalesce(any_value(r.action), arg_min(c.action, (c.start_time, c.span_id)) FILTER (WHERE c.action IS NOT NULL),
           any_value(r.root_span_name), 'unknown')                                      AS action,
  any_value(r.root_span_name)                                                          AS root_span_name,
  coalesce(any_value(r.service_name), arg_min(c.service_name, (c.start_time, c.span_id)))          AS service_name,
  coalesce(any_value(r.team), arg_min(c.team, (c.start_time, c.span_id)) FILTER (WHERE c.team IS NOT NULL))                AS team,
  coalesce(any_value(r.project), arg_min(c.project, (c.start_time, c.span_id)) FILTER (WHERE c.project IS NOT NULL))       AS project,
  coalesce(any_value(r.feature), arg_min(c.feature, (c.start_time, c.span_id)) FILTER (WHERE c.feature IS NOT NULL))       AS feature,
  coalesce(any_value(r.customer), arg_min(c.customer, (c.start_time, c.span_id)) FILTER (WHERE c.customer IS NOT NULL))    AS customer,
  coalesce(any_value(r.user_id), arg_min(c.user_id, (c.start_time, c.span_id)) FILTER (WHERE c.user_id IS NOT NULL))       AS user_id,
  coalesce(any_value(r.environment), arg_min(c.environment, (c.start_time, c.span_id)) FILTER (WHERE c.environment IS NOT NULL)) AS environment,
  least(min(c.start_time), coalesce(any_value(r.start_time), min(c.start_time)))      AS start_time,
  greatest(max(c.end_time), coalesce(any_value(r.end_time), max(c.end_time)))         AS end_time,
  count(*)::INTEGER                                                                    AS calls,
  (count(*) FILTER (WHERE c.status = 'error'))::INTEGER                                AS failed_calls,
  (count(*) FILTER (WHERE c.cost_source = 'unpriced'))::INTEGER                        AS unpriced_calls,
  sum(c.input_tokens)                                                                  AS input_tokens,
  sum(c.output_tokens)                                                                 AS output_tokens,
  sum(c.cache_read_tokens)                                                             AS cache_read_tokens,
  sum(c.cache_write_tokens)                                                            AS cache_write_tokens,
  sum(c.reasoning_tokens)                                                              AS reasoning_tokens,
  sum(c.cost_usd)::DECIMAL(38, 9)                                                      AS cost_usd,
  coalesce(sum(c.cost_usd) FILTER (WHERE c.status = 'error'), 0)::DECIMAL(38, 9)      AS failed_cost_usd,
  list_sort(list(DISTINCT coalesce(c.response_model, c.request_model))
            FILTER (WHERE coalesce(c.response_model, c.request_model) IS NOT NULL))   AS models,
  coalesce(any_value(r.complete), false)                                               AS complete,
  now() AT TIME ZONE 'UTC'                                                             AS updated_at
FROM llm_calls c
LEFT JOIN (SELECT * FROM trace_roots WHERE start_time >= $roots_since) r ON r.trace_id = c.trace_id
WHERE c.trace_id IN (SELECT unnest(string_split($traces, ','))) AND c.start_time BETWEEN $since AND $until
GROUP BY c.trace_id;
