import { Hono } from 'hono';
import { createBudgets, type Budgets } from '../../processor/src/budgets/create-budgets.js';
import { parseConfig } from '../../processor/src/config/load-config.js';
import type { DecodedSpan } from '../../processor/src/otlp/types.js';
import { openLedger } from '../support/ledger-harness.js';
import { makeSpan } from '../support/spans.js';

export type Ledger = Awaited<ReturnType<typeof openLedger>>;

/** A clock the test moves. */
export class TestClock {
  constructor(private ms: number) {}
  now = (): Date => new Date(this.ms);
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface BudgetHarness {
  ledger: Ledger;
  budgets: Budgets;
  app: Hono;
  send(spans: DecodedSpan[]): Promise<unknown>;
  get(path: string): Promise<{ status: number; body: any }>;
  /** Stops budgets and closes the ledger (a restart, when the file is reopened). */
  close(): Promise<void>;
}

/** The processor's pieces in-process: a real DuckDB ledger and pipeline, budgets and alerts on it, the routes on a Hono app. */
export async function openBudgets(rawConfig: Record<string, unknown>, clock: TestClock, path = ':memory:', stopGraceMs = 2_000): Promise<BudgetHarness> {
  const config = parseConfig(rawConfig, 'test config');
  const ledger = await openLedger(path);
  const budgets = await createBudgets(config, { db: ledger.db.instance, logger: ledger.logger, now: clock.now, stopGraceMs });
  ledger.pipeline.addListener(budgets.listener);
  budgets.start();
  const app = new Hono();
  app.route('/v1/budgets', budgets.routes);
  return {
    ledger,
    budgets,
    app,
    send: (spans) => ledger.pipeline.export({ spans, rejectedSpans: 0, rejectionMessage: '' }, { transport: 'http', requestId: 'test' }),
    async get(path) {
      const response = await app.request(path);
      return { status: response.status, body: await response.json() };
    },
    async close() {
      await budgets.stop();
      await ledger.close();
    },
  };
}

let spanCounter = 1;

/**
 * A priced GenAI span (test price book: $2 per 1M input tokens, $8 per 1M output) started at `startIso`.
 * `usd` picks the input tokens so the call costs exactly that many dollars.
 */
export function callSpan(options: { usd: number; at: string; attribution?: Record<string, string>; model?: string; spanId?: string; traceId?: string }): DecodedSpan {
  const start = BigInt(Date.parse(options.at)) * 1_000_000n;
  return makeSpan({
    traceId: options.traceId ?? (spanCounter + 1_000_000).toString(16).padStart(32, '0'),
    spanId: options.spanId ?? (spanCounter++).toString(16).padStart(16, '0'),
    startTimeUnixNano: start,
    endTimeUnixNano: start + 500_000_000n,
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': options.model ?? 'priced-chat',
      'gen_ai.usage.input_tokens': Math.round(options.usd * 500_000),
      'gen_ai.usage.output_tokens': 0,
      ...Object.fromEntries(Object.entries(options.attribution ?? {}).map(([key, value]) => [key === 'environment' ? 'deployment.environment.name' : `chargeback.${key}`, value])),
    },
  });
}
