import { LIST, VARCHAR, decimalValue, listValue, timestampValue, type DuckDBConnection } from '@duckdb/node-api';

/**
 * A small, deterministic ledger for the report tests: eight weeks of calls (2026-10-05 … 2026-11-29) from
 * three teams and unallocated services, with unpriced, failed and reported-cost calls, routes,
 * conversations and an action that fans out over two traces. The tests compute every expected figure
 * from these arrays in plain TypeScript and compare with what the SQL returns.
 */
export interface SeedCall {
  trace_id: string;
  span_id: string;
  start: Date;
  service_name: string;
  team: string | null;
  project: string | null;
  feature: string | null;
  customer: string | null;
  user_id: string | null;
  environment: string | null;
  action: string;
  provider: string;
  request_model: string;
  response_model: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cost_nanos: bigint | null;
  cost_source: 'computed' | 'reported' | 'unpriced';
  price_id: string | null;
  status: 'ok' | 'error';
  error_type: string | null;
  attributes: Record<string, string>;
}

export interface SeedAction {
  trace_id: string;
  action: string;
  team: string | null;
  start: Date;
  end: Date;
  calls: number;
  failed_calls: number;
  unpriced_calls: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cost_nanos: bigint | null;
  failed_cost_nanos: bigint;
  models: string[];
  calls_in_trace: SeedCall[];
}

export const firstWeek = new Date('2026-10-05T00:00:00Z');
const dayMs = 86_400_000;
const weekMs = 7 * dayMs;

/** Calls per week (8 weeks) and cost of one call in nano-dollars, per team. */
const plan: { team: string | null; calls: number[]; unitNanos: number[] }[] = [
  // search grows in the last week at a lower cost per request: growth, not waste.
  { team: 'search', calls: [6, 7, 6, 7, 6, 7, 6, 18], unitNanos: [12_345_678, 12_345_678, 12_345_678, 12_345_678, 12_345_678, 12_345_678, 12_345_678, 9_876_543] },
  // ads spends more in the last week because each request costs more.
  { team: 'ads', calls: [5, 5, 6, 5, 5, 6, 5, 6], unitNanos: [20_000_001, 20_000_001, 20_000_001, 20_000_001, 20_000_001, 20_000_001, 20_000_001, 80_000_003] },
  { team: 'platform', calls: [4, 4, 4, 4, 4, 4, 4, 4], unitNanos: Array(8).fill(3_333_333) },
  { team: null, calls: [2, 3, 2, 3, 2, 3, 2, 3], unitNanos: Array(8).fill(7_777_777) },
];

const projects: Record<string, [string, string[]]> = {
  search: ['web', ['query-rewrite', 'answer']],
  ads: ['ads-manager', ['copywriter']],
  platform: ['infra', ['evals', 'embeddings']],
};

/** mulberry32: a tiny seeded generator so the seed is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function buildSeed(): { calls: SeedCall[]; actions: SeedAction[] } {
  const rand = random(42);
  const int = (n: number) => Math.floor(rand() * n);
  const calls: SeedCall[] = [];
  let traceNo = 0;
  let callNo = 0;
  for (const { team, calls: perWeek, unitNanos } of plan) {
    for (let week = 0; week < 8; week++) {
      let remaining = perWeek[week] ?? 0;
      while (remaining > 0) {
        // One trace = one user action of 1 to 3 calls, same owner and route.
        const size = Math.min(remaining, 1 + int(3));
        remaining -= size;
        traceNo++;
        const trace_id = traceNo.toString(16).padStart(32, '0');
        const traceStart = firstWeek.getTime() + week * weekMs + int(7) * dayMs + int(20) * 3_600_000 + int(3_600) * 1000;
        const [project, features] = team === null ? [null, [null]] : (projects[team] as [string, string[]]);
        const feature = features[int(features.length)] ?? null;
        const service_name = team === null ? `legacy-${int(2)}` : `${team}-api`;
        const route = team === null ? `/v1/${['batch', 'sync'][int(2)]}` : `/api/${team}/${feature}`;
        const action = `POST ${route}`;
        const conversation = traceNo % 4 === 0 ? `conv-${traceNo % 3}` : null;
        const user = team === null ? null : `user-${int(5)}`;
        for (let i = 0; i < size; i++) {
          callNo++;
          const unpriced = callNo % 9 === 0;
          const reported = !unpriced && callNo % 50 === 0;
          const failed = callNo % 7 === 0;
          const noUsage = unpriced && callNo % 2 === 0;
          const input = noUsage ? null : 500 + int(4000);
          const cacheRead = input === null ? null : callNo % 3 === 0 ? Math.floor(input / 2) : 0;
          const output = noUsage ? null : 50 + int(900);
          const unit = unitNanos[week] ?? 0;
          const jitter = BigInt(int(1000));
          const attributes: Record<string, string> = {};
          if (callNo % 2 === 0) attributes['http.route'] = route;
          if (conversation !== null) attributes['gen_ai.conversation.id'] = conversation;
          // Traces 10 and 11 are one action that fanned out over two traces.
          if (traceNo === 10 || traceNo === 11) attributes['chargeback.action_id'] = 'job-10';
          const model = unpriced ? 'mystery-model' : callNo % 2 === 0 ? 'gpt-4.1' : 'claude-sonnet-4-5';
          const provider = unpriced ? 'acme' : model === 'gpt-4.1' ? 'openai' : 'anthropic';
          calls.push({
            trace_id,
            span_id: callNo.toString(16).padStart(16, '0'),
            start: new Date(traceStart + i * 1500),
            service_name,
            team,
            project,
            feature,
            customer: traceNo % 5 === 0 ? 'acme-corp' : traceNo % 5 === 1 ? 'globex' : null,
            user_id: user,
            environment: traceNo % 6 === 0 ? 'staging' : 'prod',
            action,
            provider,
            request_model: model,
            response_model: model === 'gpt-4.1' ? 'gpt-4.1-2025-04-14' : model,
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cacheRead,
            cost_nanos: unpriced ? null : BigInt(unit) + jitter,
            cost_source: unpriced ? 'unpriced' : reported ? 'reported' : 'computed',
            price_id: unpriced || reported ? null : `${provider}/${model}@2025-01-01#builtin-2026-11-24.2`,
            status: failed ? 'error' : 'ok',
            error_type: failed ? (callNo % 2 === 0 ? '500' : 'timeout') : null,
            attributes,
          });
        }
      }
    }
  }
  return { calls, actions: rollUp(calls) };
}

/** One action per trace, as the roll-up writes it (the tests seed the actions table directly). */
function rollUp(calls: SeedCall[]): SeedAction[] {
  const byTrace = new Map<string, SeedCall[]>();
  for (const call of calls) byTrace.set(call.trace_id, [...(byTrace.get(call.trace_id) ?? []), call]);
  return [...byTrace.entries()].map(([trace_id, group]) => {
    const first = group[0] as SeedCall;
    const priced = group.filter((c) => c.cost_nanos !== null);
    return {
      trace_id,
      action: first.action,
      team: first.team,
      start: first.start,
      end: new Date(Math.max(...group.map((c) => c.start.getTime())) + 900),
      calls: group.length,
      failed_calls: group.filter((c) => c.status === 'error').length,
      unpriced_calls: group.length - priced.length,
      input_tokens: sumOrNull(group.map((c) => c.input_tokens)),
      output_tokens: sumOrNull(group.map((c) => c.output_tokens)),
      cache_read_tokens: sumOrNull(group.map((c) => c.cache_read_tokens)),
      cost_nanos: priced.length === 0 ? null : priced.reduce((sum, c) => sum + (c.cost_nanos ?? 0n), 0n),
      failed_cost_nanos: priced.filter((c) => c.status === 'error').reduce((sum, c) => sum + (c.cost_nanos ?? 0n), 0n),
      models: [...new Set(group.map((c) => c.request_model))].sort(),
      calls_in_trace: group,
    };
  });
}

export function sumOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0);
}

export async function insertSeed(connection: DuckDBConnection, seed: { calls: SeedCall[]; actions: SeedAction[] }): Promise<void> {
  const insertCall = await connection.prepare(`
    INSERT INTO llm_calls (trace_id, span_id, start_time, end_time, duration_ms, service_name, team, project, feature, customer,
      user_id, environment, action, provider, operation, request_model, response_model, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_source, price_id, status, error_type, attempts,
      received_at, attributes)
    VALUES ($trace_id, $span_id, $start, $start + INTERVAL 900 MILLISECOND, 900, $service_name, $team, $project, $feature,
      $customer, $user_id, $environment, $action, $provider, 'chat', $request_model, $response_model, $input_tokens,
      $output_tokens, $cache_read_tokens, 0, 0, $cost, $cost_source, $price_id, $status, $error_type, 1, $start, $attributes)`);
  for (const call of seed.calls) {
    insertCall.bind({
      trace_id: call.trace_id,
      span_id: call.span_id,
      start: timestampValue(BigInt(call.start.getTime()) * 1000n),
      service_name: call.service_name,
      team: call.team,
      project: call.project,
      feature: call.feature,
      customer: call.customer,
      user_id: call.user_id,
      environment: call.environment,
      action: call.action,
      provider: call.provider,
      request_model: call.request_model,
      response_model: call.response_model,
      input_tokens: call.input_tokens,
      output_tokens: call.output_tokens,
      cache_read_tokens: call.cache_read_tokens,
      cost: call.cost_nanos === null ? null : decimalValue(call.cost_nanos, 18, 9),
      cost_source: call.cost_source,
      price_id: call.price_id,
      status: call.status,
      error_type: call.error_type,
      attributes: JSON.stringify(call.attributes),
    });
    await insertCall.run();
  }
  const insertAction = await connection.prepare(`
    INSERT INTO actions (trace_id, action, root_span_name, service_name, team, start_time, end_time, calls, failed_calls,
      unpriced_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
      failed_cost_usd, models, complete, updated_at)
    VALUES ($trace_id, $action, $action, 'svc', $team, $start, $end, $calls, $failed_calls, $unpriced_calls, $input_tokens,
      $output_tokens, $cache_read_tokens, 0, 0, $cost, $failed_cost, $models, true, $end)`);
  for (const action of seed.actions) {
    insertAction.bind(
      {
        trace_id: action.trace_id,
        action: action.action,
        team: action.team,
        start: timestampValue(BigInt(action.start.getTime()) * 1000n),
        end: timestampValue(BigInt(action.end.getTime()) * 1000n),
        calls: action.calls,
        failed_calls: action.failed_calls,
        unpriced_calls: action.unpriced_calls,
        input_tokens: action.input_tokens,
        output_tokens: action.output_tokens,
        cache_read_tokens: action.cache_read_tokens,
        cost: action.cost_nanos === null ? null : decimalValue(action.cost_nanos, 18, 9),
        failed_cost: decimalValue(action.failed_cost_nanos, 18, 9),
        models: listValue(action.models),
      },
      { models: LIST(VARCHAR) },
    );
    await insertAction.run();
  }
}
