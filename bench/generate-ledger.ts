import type { DuckDBConnection } from '@duckdb/node-api';
import { DailySpend } from '../processor/src/store/spend-daily.js';

/** Size and time span of a synthetic ledger. */
export interface LedgerShape {
  calls: number;
  /** Calls that share one trace, so actions = calls / callsPerTrace. */
  callsPerTrace: number;
  days: number;
  end: Date;
}

/**
 * Fills llm_calls and actions with a synthetic but plausible ledger, entirely inside DuckDB
 * (INSERT ... SELECT FROM range()), far faster than appending from JS. Deterministic: `hash(i, k)`
 * gives independent pseudo-random draws per row. Calls are spread evenly over `days` days ending at
 * `end`, in start-time order as a live ledger is written; 3% of traces have no team, 0.5% of calls
 * are unpriced, 2% failed. `actions` is rolled up from the calls, one row per trace. The daily spend cache
 * (spend_daily) is computed for every day but the last, as a running service would have by then: the last day
 * is "today", still written and read from llm_calls.
 */
export async function generateLedger(connection: DuckDBConnection, shape: LedgerShape): Promise<void> {
  await insertCalls(connection, shape, 0, shape.calls);
  await connection.run(`
    INSERT INTO actions
    SELECT
      trace_id, any_value(action), any_value(action), any_value(service_name), any_value(team), any_value(project),
      any_value(feature), any_value(customer), any_value(user_id), any_value(environment),
      min(start_time), max(end_time), count(*), count(*) FILTER (status = 'error'), count(*) FILTER (cost_usd IS NULL),
      sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens),
      sum(cost_usd), coalesce(sum(cost_usd) FILTER (status = 'error'), 0), list(DISTINCT request_model), true, max(received_at)
    FROM llm_calls
    GROUP BY trace_id
    ORDER BY min(start_time)
  `);
  const spend = await DailySpend.open(connection);
  await spend.refresh(connection, new Date(shape.end.getTime() - 86_400_000), shape.days);
}

/** Rows `from` to `to` (exclusive) of the ledger `generateLedger` makes: appended in parts, as a live ledger is written. */
export async function insertCalls(connection: DuckDBConnection, shape: LedgerShape, from: number, to: number): Promise<void> {
  const spanMicros = BigInt(shape.days) * 86_400_000_000n;
  const startMicros = BigInt(shape.end.getTime()) * 1000n - spanMicros;
  const perTrace = shape.callsPerTrace;
  await connection.run(`
    INSERT INTO llm_calls
    SELECT
      printf('%032x', t), printf('%016x', i), NULL,
      start_time, start_time + to_milliseconds(duration_ms::BIGINT), duration_ms,
      'svc-' || (t % 40),
      CASE WHEN hash(t, 1) % 100 < 3 THEN NULL ELSE 'team-' || (hash(t, 2) % 20) END,
      'project-' || (hash(t, 3) % 40), 'feature-' || (hash(t, 4) % 100), 'customer-' || (hash(t, 5) % 500),
      'user-' || (hash(t, 6) % 10000), ['prod', 'staging', 'dev'][1 + (hash(t, 7) % 3)::BIGINT], 'action-' || (hash(t, 8) % 30),
      m.provider, 'chat', m.model, m.model || '-2025-01-01', 'resp-' || i,
      input_tokens, output_tokens, cache_read_tokens, 0, output_tokens // 4,
      CASE WHEN unpriced THEN NULL
           ELSE CAST(((input_tokens - cache_read_tokens) * m.input + cache_read_tokens * m.input / 4
                      + output_tokens * m.output) / 1e6 AS DECIMAL(18, 9)) END,
      CASE WHEN unpriced THEN 'unpriced' ELSE 'computed' END,
      CASE WHEN unpriced THEN NULL ELSE m.provider || '/' || m.model || '@2025-01-01' END,
      CASE WHEN failed THEN 'error' ELSE 'ok' END, CASE WHEN failed THEN '500' END, 1,
      start_time,
      json_object('gen_ai.conversation.id', 'conv-' || (t // 3), 'http.route', '/api/' || (hash(t, 8) % 30))
    FROM (
      SELECT
        i, i // ${perTrace} AS t,
        make_timestamp((${startMicros} + i::HUGEINT * ${spanMicros} // ${shape.calls})::BIGINT) AS start_time,
        (200 + hash(i, 10) % 5000)::DOUBLE AS duration_ms,
        ([{'provider': 'openai', 'model': 'gpt-4.1', 'input': 2.0, 'output': 8.0},
          {'provider': 'openai', 'model': 'gpt-4.1-mini', 'input': 0.4, 'output': 1.6},
          {'provider': 'openai', 'model': 'o3', 'input': 2.0, 'output': 8.0},
          {'provider': 'anthropic', 'model': 'claude-sonnet-4-5', 'input': 3.0, 'output': 15.0},
          {'provider': 'anthropic', 'model': 'claude-haiku-4-5', 'input': 1.0, 'output': 5.0},
          {'provider': 'openai', 'model': 'text-embedding-3-small', 'input': 0.02, 'output': 0.0},
          {'provider': 'gcp.gemini', 'model': 'gemini-2.5-pro', 'input': 1.25, 'output': 10.0},
          {'provider': 'gcp.gemini', 'model': 'gemini-2.5-flash', 'input': 0.3, 'output': 2.5}])[1 + (hash(t, 11) % 8)::BIGINT] AS m,
        (100 + hash(i, 12) % 8000)::BIGINT AS input_tokens,
        (hash(i, 13) % 1500)::BIGINT AS output_tokens,
        (input_tokens * (hash(i, 14) % 50) // 100)::BIGINT AS cache_read_tokens,
        hash(i, 15) % 200 = 0 AS unpriced,
        hash(i, 9) % 100 < 2 AS failed
      FROM range(${from}, ${to}) AS r(i)
    )
  `);
}
