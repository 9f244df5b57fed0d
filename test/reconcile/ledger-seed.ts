import { randomBytes } from 'node:crypto';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import type { Database } from '../../processor/src/store/database.js';
import { appendLlmCall } from '../../processor/src/store/llm-call-appender.js';
import { llmCallRow } from '../support/llm-call-row.js';

/** Known llm_calls rows for the reconciliation tests; fixtures/README.md describes the scenario they match. */
export interface SeedCall {
  start: string;
  provider: string;
  requestModel: string | null;
  responseModel: string | null;
  /** Total input in the semconv meaning: includes cache read and cache write. */
  input: number | null;
  cacheRead?: number;
  cacheWrite?: number;
  output: number | null;
  costNanos: bigint | null;
  team?: string | null;
  attributes?: Record<string, string>;
  status?: 'ok' | 'error';
  receivedAt?: string;
}

export const P1 = 'proj_Yq3TtR8mVb2KxN7wLp0sHc4D';
export const P2 = 'proj_Lm9ZaQ4cWe1RtY6uIo3PdF8G';
export const W1 = 'wrkspc_01HqR7uN3vXe9TbM2cKa5YdW';

function repeat(count: number, make: (index: number) => SeedCall): SeedCall[] {
  return Array.from({ length: count }, (_, index) => make(index));
}

const gpt41 = (start: string): SeedCall => ({
  start,
  provider: 'openai',
  requestModel: 'gpt-4.1',
  responseModel: 'gpt-4.1-2025-04-14',
  input: 500_000,
  cacheRead: 200_000,
  output: 50_000,
  costNanos: 1_100_000_000n,
  team: 'checkout',
  attributes: { 'openai.project.id': P1 },
});

/** 2025-08-01: 10 gpt-4.1 (one at 23:59:59.999Z) + 5 gpt-4.1-mini; 2025-08-02: 4 gpt-4.1 (one at 00:00:00.000Z). */
export function openAiCalls(): SeedCall[] {
  return [
    ...repeat(9, (i) => gpt41(`2025-08-01T${String(9 + i).padStart(2, '0')}:15:00.000Z`)),
    gpt41('2025-08-01T23:59:59.999Z'),
    ...repeat(5, (i) => ({
      start: `2025-08-01T1${i}:30:00.000Z`,
      provider: 'openai',
      // The app asked for the alias and the span carries no response model: the provider reports the dated id.
      requestModel: 'gpt-4.1-mini',
      responseModel: null,
      input: 100_000,
      output: 10_000,
      costNanos: 56_000_000n,
      team: 'search',
      attributes: { 'openai.project.id': P2 },
    })),
    gpt41('2025-08-02T00:00:00.000Z'),
    ...repeat(3, (i) => gpt41(`2025-08-02T1${i}:00:00.000Z`)),
  ];
}

/** 2025-08-01: 8 claude-sonnet-4 in workspace W1, 4 claude-3-5-haiku (batch) in the default workspace. */
export function anthropicCalls(): SeedCall[] {
  return [
    // The first seven made two web searches each: $0.02 of fees in their cost, billed apart as "Web Search Usage".
    ...repeat(8, (i) => ({
      start: `2025-08-01T0${i}:00:00.000Z`,
      provider: 'anthropic',
      requestModel: 'claude-sonnet-4-20250514',
      responseModel: 'claude-sonnet-4-20250514',
      input: 260_000,
      cacheRead: 200_000,
      cacheWrite: 10_000,
      output: 5_000,
      costNanos: i < 7 ? 342_500_000n : 322_500_000n,
      team: 'support',
      attributes: {
        'anthropic.workspace.id': W1,
        ...(i < 7 && { 'chargeback.tool_calls.web_search': '2', 'chargeback.tool_fee_usd.web_search': '0.020000000' }),
      },
    })),
    ...repeat(4, (i) => ({
      start: `2025-08-01T1${i}:00:00.000Z`,
      provider: 'anthropic',
      requestModel: 'claude-3-5-haiku-latest',
      responseModel: 'claude-3-5-haiku-20241022',
      input: 30_000,
      output: 10_000,
      costNanos: 64_000_000n,
      team: 'support',
      attributes: { 'anthropic.workspace.id': 'default' },
    })),
  ];
}

export async function seedLedger(db: Database, calls: readonly SeedCall[]): Promise<void> {
  const appender = await db.connection.createAppender('llm_calls');
  for (const call of calls) appendLlmCall(appender, toRow(call));
  appender.closeSync();
}

function toRow(call: SeedCall): LlmCall {
  const start = new Date(call.start);
  return llmCallRow(start, {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    end_time: new Date(start.getTime() + 1500),
    duration_ms: 1500,
    service_name: 'checkout-api',
    team: call.team ?? null,
    provider: call.provider,
    request_model: call.requestModel,
    response_model: call.responseModel,
    response_id: null,
    input_tokens: call.input,
    output_tokens: call.output,
    cache_read_tokens: call.cacheRead ?? (call.input === null ? null : 0),
    cache_write_tokens: call.cacheWrite ?? (call.input === null ? null : 0),
    cost_nanos: call.costNanos,
    cost_source: call.costNanos === null ? 'unpriced' : 'computed',
    price_id: null,
    status: call.status ?? 'ok',
    received_at: new Date(call.receivedAt ?? start.getTime() + 2000),
    attributes: JSON.stringify(call.attributes ?? {}),
  });
}
