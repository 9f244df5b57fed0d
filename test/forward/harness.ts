import { parseConfig } from '../../processor/src/config/load-config.js';
import type { AttributionRule } from '../../processor/src/config/schema.js';
import { createForwarding, type Forwarding } from '../../processor/src/forward/index.js';
import { createApp, serve } from '../../processor/src/receiver/index.js';
import { ActionStore } from '../../processor/src/rollup/action-store.js';
import { RollupStage } from '../../processor/src/rollup/rollup-stage.js';
import { TraceBuffer } from '../../processor/src/rollup/trace-buffer.js';
import { openLedger } from '../support/ledger-harness.js';

/** Attribution rule of the tests: the project comes from a processor rule on service.name. */
export const projectRule: AttributionRule = { match: { 'service.name': 'answer-*' }, set: { project: 'assistant' } };

export interface ForwardingProcessor {
  url: string;
  ledger: Awaited<ReturnType<typeof openLedger>>;
  forwarding: Forwarding;
  /** Present with `rollup: true`: tick it to write the actions of complete traces (its clock is `advance`d). */
  rollup: RollupStage | null;
  advance(ms: number): void;
  post(body: Uint8Array, contentType?: string): Promise<{ status: number; ms: number }>;
  /** Stops receiving, the roll-up, then forwarding (drain within the deadline), then the ledger. */
  close(drainMs?: number): Promise<void>;
}

/**
 * The processor's pieces in-process, as service.ts assembles them: OTLP/HTTP receiver → ingest pipeline (ledger
 * in DuckDB) → forwarding (logs and metrics straight from the receiver), plus the roll-up when asked, on a clock
 * the test moves.
 */
export async function startForwardingProcessor(forward: unknown[], options: { rollup?: boolean } = {}): Promise<ForwardingProcessor> {
  const ledger = await openLedger(':memory:', [projectRule]);
  const config = parseConfig({ forward }, 'test config').forward;
  const forwarding = createForwarding(config, { db: ledger.db.instance, logger: ledger.logger });
  let clock = Date.now();
  let rollup: RollupStage | null = null;
  let actionStore: ActionStore | null = null;
  if (options.rollup === true) {
    actionStore = await ActionStore.open(ledger.db.instance);
    const buffer = new TraceBuffer({ waitMs: 5_000, maxAgeMs: 60_000, maxTraces: 1_000, maxBytes: 64 << 20 }, clock);
    rollup = new RollupStage(buffer, actionStore, ledger.rules, ledger.logger, () => clock);
    ledger.pipeline.addListener(rollup);
    rollup.onActionsWritten(forwarding.onActionsWritten);
    rollup.onTracesWithoutAction(forwarding.onTracesWithoutAction);
  }
  ledger.pipeline.addListener(forwarding.stage);
  const http = await serve(createApp({ sink: ledger.pipeline, logger: ledger.logger, bodyLimitBytes: 64 << 20, forwardSignal: forwarding.forwardSignal }), { port: 0 });
  return {
    url: http.url,
    ledger,
    forwarding,
    rollup,
    advance(ms) {
      clock += ms;
    },
    async post(body, contentType = 'application/x-protobuf') {
      const started = performance.now();
      const response = await fetch(`${http.url}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body });
      await response.arrayBuffer();
      return { status: response.status, ms: performance.now() - started };
    },
    async close(drainMs = 2_000) {
      await http.close();
      await rollup?.stop();
      await forwarding.shutdown(drainMs);
      actionStore?.close();
      await ledger.close();
    },
  };
}
