-- Report: Showback and chargeback for a month
--
-- What each team is charged for a calendar month (UTC): its direct cost (its own priced calls), plus its
-- share of the unallocated cost (calls without a team) and of the shared-platform cost (the calls of
-- $platform_team), under a chosen rule:
--   proportional  both pools are split between the other teams in proportion to their direct cost; the
--                 platform team's own calls are shared out, so its total is 0
--   platform      all unallocated cost goes to $platform_team, which also keeps its own calls
-- The '(unallocated)' row gives its pool away (a negative unallocated_share_usd) and so does the platform
-- team under 'proportional' (a negative platform_share_usd): every column sums to its pool, and the
-- totals sum exactly to the month's total spend. If no team can take a pool (no team has priced
-- spend), it goes to $platform_team, or stays on the '(unallocated)' row.
-- Exactness: shares are computed in nano-dollars (cost_usd has 9 decimals, so sums are exact) with the
-- largest-remainder method: each team gets the floor of its proportional share and the nano-dollars
-- left over go one each to the largest fractional remainders (ties by team name). charge_usd rounds
-- the totals to cents the same way, so the cents sum to the month total rounded half up to the cent.
-- Unpriced calls have no cost to allocate; each team's count is in unpriced_calls. price_books names
-- the price-book editions that priced the team's calls (the part of price_id after '#', e.g.
-- builtin-2026-11-24.2), and 'reported' when a cost came from the instrumentation. The last row,
-- '(month total)', sums every column.
--
-- Whole days come from the daily spend cache (spend_daily) while it is fresh, the rest from llm_calls: the
-- figures are the same to the nano-dollar either way.
--
-- Parameters:
--   $month          VARCHAR  calendar month, YYYY-MM, UTC (default: the previous month)
--   $rule           VARCHAR  proportional | platform (default: proportional)
--   $platform_team  VARCHAR  the shared-platform team (default: none; required by rule 'platform')
WITH settings AS (
  SELECT
    CAST(coalesce($month::VARCHAR, strftime(now() AT TIME ZONE 'UTC' - INTERVAL 1 MONTH, '%Y-%m')) || '-01' AS TIMESTAMP)
                                                   AS month_start,
    month_start + INTERVAL 1 MONTH                 AS month_end,
    coalesce($rule::VARCHAR, 'proportional')       AS rule,
    $platform_team::VARCHAR                        AS platform_team,
    CASE
      WHEN rule NOT IN ('proportional', 'platform') THEN error('rule must be proportional or platform')
      WHEN rule = 'platform' AND platform_team IS NULL THEN error('rule platform needs platform_team')
    END                                            AS invalid
),
per_price AS (
  -- Grouped by price-book entry first: the edition is then read once per entry, not once per call.
  SELECT team, price_id, cost_source, sum(requests) AS requests, sum(unpriced_calls) AS unpriced_calls, sum(cost_usd) AS cost_usd
  FROM spend_days((SELECT month_start FROM settings), (SELECT month_end FROM settings))
  GROUP BY ALL
),
direct AS (
  -- Each team's own cost in nano-dollars; the NULL team is the unallocated pool.
  SELECT
    team,
    sum(requests)                                            AS requests,
    sum(unpriced_calls)                                      AS unpriced_calls,
    CAST(coalesce(sum(cost_usd), 0) * 1000000000 AS HUGEINT) AS direct_nanos,
    list(DISTINCT CASE WHEN cost_source = 'reported' THEN 'reported'
                       ELSE coalesce(nullif(split_part(price_id, '#', 2), ''), price_id) END)
      FILTER (cost_usd IS NOT NULL)                          AS price_books
  FROM per_price
  GROUP BY team
),
teams AS (
  -- Every team with calls, plus the platform team even in a month it made none.
  SELECT * FROM direct
  UNION ALL
  SELECT platform_team, 0, 0, 0::HUGEINT, []
  FROM settings
  WHERE platform_team IS NOT NULL
    AND platform_team NOT IN (SELECT team FROM direct WHERE team IS NOT NULL)
),
pools AS (
  SELECT
    coalesce((SELECT direct_nanos FROM direct WHERE team IS NULL), 0) AS unallocated_nanos,
    CASE WHEN rule = 'proportional'
         THEN coalesce((SELECT direct_nanos FROM direct WHERE team = platform_team), 0)
         ELSE 0 END                                                   AS platform_nanos
  FROM settings
  WHERE invalid IS NULL
),
weighted AS (
  -- Who takes the pools, in what proportion: under 'proportional' every team but the platform team by
  -- its direct cost, under 'platform' the platform team alone.
  SELECT
    teams.*,
    pools.*,
    settings.rule,
    team IS NOT DISTINCT FROM settings.platform_team AS is_platform_team,
    CASE
      WHEN rule = 'platform' THEN CASE WHEN is_platform_team THEN 1 ELSE 0 END
      WHEN team IS NULL OR is_platform_team THEN 0
      ELSE direct_nanos
    END::HUGEINT AS own_weight
  FROM teams, pools, settings
),
receivers AS (
  -- When no team has a weight, the pools go to the platform team, or stay unallocated.
  SELECT
    *,
    CASE
      WHEN sum(own_weight) OVER () > 0 THEN own_weight
      WHEN (SELECT platform_team FROM settings) IS NOT NULL THEN CASE WHEN is_platform_team THEN 1 ELSE 0 END
      ELSE CASE WHEN team IS NULL THEN 1 ELSE 0 END
    END::HUGEINT AS weight
  FROM weighted
),
floors AS (
  -- Largest remainder, step 1: each team's floor of pool × weight / total weight, and what was cut off.
  SELECT
    *,
    unallocated_nanos * weight // sum(weight) OVER () AS unallocated_floor,
    unallocated_nanos * weight %  sum(weight) OVER () AS unallocated_remainder,
    platform_nanos * weight // sum(weight) OVER ()    AS platform_floor,
    platform_nanos * weight %  sum(weight) OVER ()    AS platform_remainder
  FROM receivers
),
ranked AS (
  -- Step 2: the nano-dollars the floors left over go one each to the largest remainders.
  SELECT
    *,
    unallocated_nanos - sum(unallocated_floor) OVER ()                          AS unallocated_left,
    row_number() OVER (ORDER BY unallocated_remainder DESC, team NULLS LAST)    AS unallocated_rank,
    platform_nanos - sum(platform_floor) OVER ()                                AS platform_left,
    row_number() OVER (ORDER BY platform_remainder DESC, team NULLS LAST)       AS platform_rank
  FROM floors
),
shares AS (
  -- A pool's owner row gives the pool away: the unallocated row its cost, the platform team its own.
  SELECT
    *,
    unallocated_floor + CASE WHEN unallocated_rank <= unallocated_left THEN 1 ELSE 0 END
      - CASE WHEN team IS NULL THEN unallocated_nanos ELSE 0 END                AS unallocated_share_nanos,
    platform_floor + CASE WHEN platform_rank <= platform_left THEN 1 ELSE 0 END
      - CASE WHEN is_platform_team AND rule = 'proportional' THEN platform_nanos ELSE 0 END AS platform_share_nanos,
    direct_nanos + unallocated_share_nanos + platform_share_nanos               AS total_nanos,
    total_nanos // 10000000                                                     AS cents_floor,
    total_nanos %  10000000                                                     AS cents_remainder
  FROM ranked
),
charged AS (
  -- Cents the same way: the cents the floors leave short of the month total (rounded half up) go to
  -- the largest remainders.
  SELECT
    *,
    cents_floor + CASE
      WHEN row_number() OVER (ORDER BY cents_remainder DESC, team NULLS LAST)
           <= (sum(total_nanos) OVER () + 5000000) // 10000000 - sum(cents_floor) OVER ()
      THEN 1 ELSE 0 END AS charge_cents
  FROM shares
),
report AS (
  SELECT
    0 AS sort_group, coalesce(team, '(unallocated)') AS team, requests, unpriced_calls, direct_nanos,
    unallocated_share_nanos, platform_share_nanos, total_nanos, charge_cents, price_books
  FROM charged
  UNION ALL
  SELECT
    1, '(month total)', sum(requests), sum(unpriced_calls), sum(direct_nanos), sum(unallocated_share_nanos),
    sum(platform_share_nanos), sum(total_nanos), sum(charge_cents), flatten(list(price_books))
  FROM charged
)
SELECT
  strftime(month_start, '%Y-%m')                                                     AS month,
  team,
  requests::BIGINT                                                                   AS requests,
  unpriced_calls::BIGINT                                                             AS unpriced_calls,
  -- Nano-dollars back to dollars: an exact integer times 10^-9, never through a float.
  CAST(direct_nanos AS DECIMAL(38, 0)) * 0.000000001::DECIMAL(10, 9)                 AS direct_cost_usd,
  CAST(unallocated_share_nanos AS DECIMAL(38, 0)) * 0.000000001::DECIMAL(10, 9)      AS unallocated_share_usd,
  CAST(platform_share_nanos AS DECIMAL(38, 0)) * 0.000000001::DECIMAL(10, 9)         AS platform_share_usd,
  CAST(total_nanos AS DECIMAL(38, 0)) * 0.000000001::DECIMAL(10, 9)                  AS total_usd,
  CAST(charge_cents AS DECIMAL(38, 0)) * 0.01::DECIMAL(3, 2)                         AS charge_usd,
  round(100 * total_nanos / nullif((SELECT sum(total_nanos) FROM charged), 0), 2)    AS share_pct,
  rule,
  platform_team,
  array_to_string(list_sort(list_distinct(price_books)), ' ')                        AS price_books
FROM report, settings
ORDER BY sort_group, team;
