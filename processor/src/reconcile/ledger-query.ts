import type { DuckDBConnection } from '@duckdb/node-api';
import { STORED_TOOL_FEE_PREFIX } from '../normalize/derived-attributes.js';
import { baseModelId } from '../pricing/model-id.js';
import { toolChargeLabel } from './charges.js';
import { type ReconcileProvider, type TokenCounts, zeroTokens } from './records.js';

/**
 * The ledger side: `llm_calls` summed per UTC day (of the call's start), base model and the provider-side
 * dimensions the spans carried. The ids are read from the span attributes kept in `llm_calls.attributes`:
 */
export const ledgerAttributeKeys: Record<ReconcileProvider, { project: string; apiKey: string }> = {
  openai: { project: 'openai.project.id', apiKey: 'gen_ai.api_key.id' },
  anthropic: { project: 'anthropic.workspace.id', apiKey: 'gen_ai.api_key.id' },
};

export interface LedgerStats {
  calls: bigint;
  errorCalls: bigint;
  /** Calls without a price (cost_usd NULL): their cost is missing from `costNanos`. */
  unpricedCalls: bigint;
  /** Calls whose usage never arrived (NULL tokens). */
  callsWithoutUsage: bigint;
  tokens: TokenCounts;
  costNanos: bigint;
}

export interface LedgerGroup extends LedgerStats {
  day: string;
  /** Base model id (see model-name.ts); `(unknown)` when the span named none. */
  model: string;
  projectId: string | null;
  apiKeyId: string | null;
  /**
   * The part of `costNanos` that is hosted-tool fees (web and file search), by the charge the provider bills them
   * under (`web search`, `file search`): providers report them as charges of their own, not under the model.
   */
  toolFees: Map<string, bigint>;
}

/** A UTC period of whole days: `start` inclusive, `end` exclusive, both YYYY-MM-DD. */
export interface Period {
  start: string;
  end: string;
}

const groupsSql = `
SELECT strftime(CAST(start_time AS DATE), '%Y-%m-%d')                                  AS day,
       coalesce(response_model, request_model)                                          AS model,
       json_extract_string(attributes, '$."' || $project_key || '"')                    AS project_id,
       json_extract_string(attributes, '$."' || $api_key_key || '"')                    AS api_key_id,
       CAST(count(*) AS VARCHAR)                                                        AS calls,
       CAST(count(*) FILTER (WHERE status = 'error') AS VARCHAR)                        AS error_calls,
       CAST(count(*) FILTER (WHERE cost_usd IS NULL) AS VARCHAR)                        AS unpriced_calls,
       CAST(count(*) FILTER (WHERE input_tokens IS NULL AND output_tokens IS NULL) AS VARCHAR) AS calls_without_usage,
       -- input_tokens has the semconv meaning (includes cache read and cache write); providers report uncached input.
       CAST(coalesce(sum(input_tokens - coalesce(cache_read_tokens, 0) - coalesce(cache_write_tokens, 0)), 0) AS VARCHAR) AS input,
       CAST(coalesce(sum(cache_read_tokens), 0) AS VARCHAR)                             AS cache_read,
       CAST(coalesce(sum(cache_write_tokens), 0) AS VARCHAR)                            AS cache_write,
       CAST(coalesce(sum(output_tokens), 0) AS VARCHAR)                                 AS output,
       CAST(coalesce(sum(cost_usd), 0) AS VARCHAR)                                      AS cost_usd
FROM llm_calls
WHERE provider = $provider
  AND start_time >= CAST($start AS TIMESTAMP)
  AND start_time <  CAST($end AS TIMESTAMP)
GROUP BY ALL
`;

/** The hosted-tool fees in priced calls' costs (`chargeback.tool_fee_usd.<tool>`), summed per group and tool. */
const toolFeesSql = `
SELECT strftime(CAST(start_time AS DATE), '%Y-%m-%d')                                  AS day,
       coalesce(response_model, request_model)                                          AS model,
       json_extract_string(attributes, '$."' || $project_key || '"')                    AS project_id,
       json_extract_string(attributes, '$."' || $api_key_key || '"')                    AS api_key_id,
       substr(fee.key, length($fee_prefix) + 1)                                         AS tool,
       CAST(sum(CAST(fee.value ->> '$' AS DECIMAL(38,9))) AS VARCHAR)                   AS fee_usd
FROM llm_calls, json_each(llm_calls.attributes) AS fee
WHERE provider = $provider
  AND start_time >= CAST($start AS TIMESTAMP)
  AND start_time <  CAST($end AS TIMESTAMP)
  AND cost_usd IS NOT NULL
  -- Most calls have no fee: the text test skips them before their JSON is taken apart.
  AND contains(CAST(attributes AS VARCHAR), $fee_prefix)
  AND starts_with(fee.key, $fee_prefix)
GROUP BY ALL
`;

export async function queryLedgerGroups(connection: DuckDBConnection, provider: ReconcileProvider, period: Period): Promise<LedgerGroup[]> {
  const keys = ledgerAttributeKeys[provider];
  const parameters = { provider, start: period.start, end: period.end, project_key: keys.project, api_key_key: keys.apiKey };
  const reader = await connection.runAndReadAll(groupsSql, parameters);
  const merged = new Map<string, LedgerGroup>();
  for (const row of reader.getRowObjectsJS()) {
    const group: LedgerGroup = {
      ...groupKey(row),
      calls: BigInt(String(row.calls)),
      errorCalls: BigInt(String(row.error_calls)),
      unpricedCalls: BigInt(String(row.unpriced_calls)),
      callsWithoutUsage: BigInt(String(row.calls_without_usage)),
      tokens: {
        input: BigInt(String(row.input)),
        cache_read: BigInt(String(row.cache_read)),
        cache_write: BigInt(String(row.cache_write)),
        output: BigInt(String(row.output)),
      },
      costNanos: decimalNanos(String(row.cost_usd)),
      toolFees: new Map(),
    };
    // Dated and undated ids of one model are one group.
    const key = groupMapKey(group);
    const existing = merged.get(key);
    merged.set(key, existing ? addStats(existing, group) : group);
  }
  const fees = await connection.runAndReadAll(toolFeesSql, { ...parameters, fee_prefix: STORED_TOOL_FEE_PREFIX });
  for (const row of fees.getRowObjectsJS()) {
    const group = merged.get(groupMapKey(groupKey(row)));
    if (group === undefined) continue;
    const label = toolChargeLabel(String(row.tool));
    group.toolFees.set(label, (group.toolFees.get(label) ?? 0n) + decimalNanos(String(row.fee_usd)));
  }
  return [...merged.values()];
}

type GroupKey = Pick<LedgerGroup, 'day' | 'model' | 'projectId' | 'apiKeyId'>;

function groupKey(row: Record<string, unknown>): GroupKey {
  return {
    day: String(row.day),
    model: typeof row.model === 'string' ? baseModelId(row.model) : '(unknown)',
    projectId: typeof row.project_id === 'string' ? row.project_id : null,
    apiKeyId: typeof row.api_key_id === 'string' ? row.api_key_id : null,
  };
}

function groupMapKey(key: GroupKey): string {
  return JSON.stringify([key.day, key.model, key.projectId, key.apiKeyId]);
}


/** When the ledger last received a call from this provider: tells "spans not yet arrived" from "never sent". */
export async function queryLastReceivedAt(connection: DuckDBConnection, provider: ReconcileProvider): Promise<Date | null> {
  const reader = await connection.runAndReadAll(
    'SELECT CAST(epoch_ms(max(received_at)) AS VARCHAR) AS last FROM llm_calls WHERE provider = $provider',
    { provider },
  );
  const last = reader.getRowObjectsJS()[0]?.last;
  return typeof last === 'string' ? new Date(Number(last)) : null;
}

export interface TeamSpend {
  /** Null = unallocated. */
  team: string | null;
  costNanos: bigint;
  calls: bigint;
  unpricedCalls: bigint;
}

export async function queryTeamSpend(connection: DuckDBConnection, provider: ReconcileProvider, period: Period): Promise<TeamSpend[]> {
  const reader = await connection.runAndReadAll(
    `SELECT team,
            CAST(coalesce(sum(cost_usd), 0) AS VARCHAR)               AS cost_usd,
            CAST(count(*) AS VARCHAR)                                  AS calls,
            CAST(count(*) FILTER (WHERE cost_usd IS NULL) AS VARCHAR)  AS unpriced_calls
     FROM llm_calls
     WHERE provider = $provider AND start_time >= CAST($start AS TIMESTAMP) AND start_time < CAST($end AS TIMESTAMP)
     GROUP BY team
     ORDER BY team NULLS LAST`,
    { provider, start: period.start, end: period.end },
  );
  return reader.getRowObjectsJS().map((row) => ({
    team: typeof row.team === 'string' ? row.team : null,
    costNanos: decimalNanos(String(row.cost_usd)),
    calls: BigInt(String(row.calls)),
    unpricedCalls: BigInt(String(row.unpriced_calls)),
  }));
}

export function emptyStats(): LedgerStats {
  return { calls: 0n, errorCalls: 0n, unpricedCalls: 0n, callsWithoutUsage: 0n, tokens: zeroTokens(), costNanos: 0n };
}

export function addStats<T extends LedgerStats>(target: T, other: LedgerStats): T {
  target.calls += other.calls;
  target.errorCalls += other.errorCalls;
  target.unpricedCalls += other.unpricedCalls;
  target.callsWithoutUsage += other.callsWithoutUsage;
  target.tokens.input += other.tokens.input;
  target.tokens.cache_read += other.tokens.cache_read;
  target.tokens.cache_write += other.tokens.cache_write;
  target.tokens.output += other.tokens.output;
  target.costNanos += other.costNanos;
  return target;
}

/** DuckDB renders DECIMAL(38,9) sums as plain decimal text: exact. */
function decimalNanos(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  const negative = whole.startsWith('-');
  const magnitude = BigInt(negative ? whole.slice(1) : whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9) || '0');
  return negative ? -magnitude : magnitude;
}
