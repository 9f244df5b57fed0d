-- Daily spend: (re)compute the spend_daily rows of the UTC days in [$since, $until) from llm_calls. The caller
-- (store/spend-daily.ts) deletes those days' rows first and marks them fresh in spend_daily_days in the same
-- transaction; until then the days are not fresh, so spend_days (queries/spend-days.sql) aggregates them from
-- llm_calls, the same way the reports do. $since and $until are UTC midnights (TIMESTAMP).
INSERT INTO spend_daily BY NAME
SELECT * FROM spend_days($since, $until);
