-- Reconciliation trend
--
-- How far the ledger is from the providers' own usage and cost reports, day by day: for each UTC day, provider
-- and metric, the provider's figure, the ledger's, the difference (provider − ledger; positive = billed but not
-- in the ledger) and its share of the provider's figure, with a 7-day moving average of that share, the cells
-- beyond tolerance and the causes `reconcile` detected. Each day and metric come from the newest run that covered them, so a
-- re-run after late spans replaces the earlier answer. A share that creeps up means calls are escaping the
-- instrumentation (a service without the preload) or the price book is drifting from the billed rates.
--
-- Parameters:
--   $since     DATE     first day, UTC (default: 30 days before today)
--   $until     DATE     end day, exclusive (default: no end)
--   $provider  VARCHAR  openai | anthropic (default: all)
--   $metric    VARCHAR  requests | input_tokens | cache_read_tokens | cache_write_tokens | output_tokens | cost_usd (default: all)
WITH newest_run AS (
  -- Per metric: a later costs-only run must not hide the usage figures of an earlier full run.
  SELECT d.provider, d.day, d.metric, arg_max(d.run_id, r.run_at) AS run_id
  FROM reconciliation_deltas d
  JOIN reconciliation_runs r USING (run_id)
  WHERE d.day >= coalesce($since::DATE, current_date - 30)
    AND d.day <  coalesce($until::DATE, DATE '9999-12-31')
    AND ($provider IS NULL OR d.provider = $provider)
    AND ($metric IS NULL OR d.metric = $metric)
  GROUP BY d.provider, d.day, d.metric
),
daily AS (
  SELECT
    d.day,
    d.provider,
    d.metric,
    d.unit,
    sum(d.provider_value)                                      AS provider_value,
    sum(d.ledger_value)                                        AS ledger_value,
    sum(d.delta)                                               AS delta,
    count(*) FILTER (d.beyond_tolerance)                       AS cells_beyond,
    list_sort(list_distinct(flatten(list(d.causes))))          AS causes,
    any_value(d.run_id)                                        AS run_id
  FROM reconciliation_deltas d
  JOIN newest_run n USING (provider, day, metric, run_id)
  GROUP BY d.day, d.provider, d.metric, d.unit
),
shares AS (
  SELECT *, CASE WHEN provider_value = 0 THEN NULL ELSE round(delta / provider_value * 100, 4)::DOUBLE END AS delta_pct
  FROM daily
)
SELECT
  day,
  provider,
  metric,
  unit,
  provider_value,
  ledger_value,
  delta,
  delta_pct,
  round(avg(delta_pct) OVER (
    PARTITION BY provider, metric ORDER BY day RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW
  ), 4)                                                        AS delta_pct_7d,
  cells_beyond,
  causes,
  run_id
FROM shares
ORDER BY provider, metric, day;
