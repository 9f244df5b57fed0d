import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { StoredBatch, StoredBatchListener } from '../pipeline/ingest.js';
import type { ActionLookup, ActionTotals } from './action-lookup.js';
import { actionAttributes } from './enrich.js';
import type { Exporter } from './exporter.js';
import { detachSpans, prepareSpans, withAddedAttributes, type PreparedSpan } from './prepare.js';
import type { TraceHold } from './trace-hold.js';

export interface ForwardTarget {
  readonly exporter: Exporter;
  /** after-rollup only: where the exporter's spans wait for their trace's action. */
  readonly hold: TraceHold | null;
}

interface HoldingTarget {
  readonly exporter: Exporter;
  readonly hold: TraceHold;
}

/**
 * The forwarding pipeline stage: every stored span goes on to each exporter with what the ledger learned added.
 * `immediate` exporters get a batch as soon as it is stored; `after-rollup` exporters get a trace once the
 * roll-up has written its action (the action's totals on the root span) or found it has none.
 * Nothing here can fail a batch: the ledger is durable before this runs, and sending happens in the exporters.
 */
export class ForwardingStage implements StoredBatchListener {
  /** Decoders keep each span's wire form, and the pipeline its spans, only when there is somewhere to forward them. */
  readonly needsSpans: boolean;
  private readonly immediate: Exporter[];
  private readonly holding: HoldingTarget[];
  private readonly lookups = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout | null = null;
  private reencodedLogged = false;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly targets: readonly ForwardTarget[],
    private readonly actions: ActionLookup,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    expiryCheckMs = 1_000,
  ) {
    this.needsSpans = targets.length > 0;
    this.immediate = targets.filter((target) => target.hold === null).map((target) => target.exporter);
    this.holding = targets.flatMap(({ exporter, hold }) => (hold === null ? [] : [{ exporter, hold }]));
    if (this.holding.length > 0) {
      this.timer = setInterval(() => this.releaseExpired(), expiryCheckMs);
      this.timer.unref();
    }
  }

  onStored(batch: StoredBatch): void {
    if (this.targets.length === 0 || batch.spans === null) return;
    const { spans, fromFields } = prepareSpans(batch.spans, batch.calls);
    if (fromFields > 0 && !this.reencodedLogged) {
      this.reencodedLogged = true;
      this.logger.warn({ spans: fromFields }, 'forwarding re-encoded spans from their decoded fields (no usable wire form); their events and flags are not forwarded');
    }
    for (const exporter of this.immediate) exporter.enqueue(spans);
    if (this.holding.length === 0) return;
    const held = detachSpans(spans);
    const now = this.now();
    for (const target of this.holding) this.sendWithoutAction(target, target.hold.add(held, now));
  }

  /** For RollupStage.onActionsWritten: the held traces go out with their action's totals on the root span. */
  readonly onActionsWritten = (traceIds: string[], startedFrom: Date): void => {
    const held = traceIds.filter((traceId) => this.holding.some(({ hold }) => hold.holds(traceId)));
    if (held.length === 0) return;
    const lookup = this.actions
      .totals(held, startedFrom)
      .catch((error: unknown) => {
        this.logger.error({ err: error, traces: held.length }, 'reading action totals failed; forwarding the traces without them');
        return new Map<string, ActionTotals>();
      })
      .then((totals) => this.release(held, totals))
      .finally(() => this.lookups.delete(lookup));
    this.lookups.add(lookup);
  };

  /** For RollupStage.onTracesWithoutAction: traces with no GenAI call go out as they are. */
  readonly onTracesWithoutAction = (traceIds: string[]): void => {
    for (const { exporter, hold } of this.holding) exporter.enqueue(hold.take(traceIds).flatMap((trace) => trace.spans));
  };

  /**
   * Waits for action lookups under way, sends every held trace, then lets each exporter drain its queue.
   * Call after the roll-up has stopped (its last actions are then written) and before the database closes.
   */
  shutdown(deadlineMs: number): Promise<void> {
    this.stopping ??= this.stop(deadlineMs);
    return this.stopping;
  }

  private async stop(deadlineMs: number): Promise<void> {
    const deadlineAt = Date.now() + deadlineMs;
    if (this.timer !== null) clearInterval(this.timer);
    const waitLookups = new AbortController();
    await Promise.race([Promise.allSettled([...this.lookups]), sleep(deadlineMs, undefined, { signal: waitLookups.signal }).catch(() => undefined)]);
    waitLookups.abort();
    for (const target of this.holding) this.sendWithoutAction(target, target.hold.drain());
    this.actions.close();
    await Promise.all(this.targets.map(({ exporter }) => exporter.shutdown(Math.max(0, deadlineAt - Date.now()))));
  }

  private release(traceIds: readonly string[], totals: ReadonlyMap<string, ActionTotals>): void {
    for (const { exporter, hold } of this.holding) {
      const spans: PreparedSpan[] = [];
      for (const trace of hold.take(traceIds)) {
        const action = totals.get(trace.traceId);
        if (action === undefined) {
          exporter.metrics.tracesReleasedWithoutAction += 1;
          spans.push(...trace.spans);
          continue;
        }
        const added = actionAttributes(action);
        for (const span of trace.spans) spans.push(span.isRoot ? withAddedAttributes(span, added) : span);
      }
      exporter.enqueue(spans);
    }
  }

  private releaseExpired(): void {
    const now = this.now();
    for (const target of this.holding) this.sendWithoutAction(target, target.hold.takeExpired(now));
  }

  private sendWithoutAction(target: HoldingTarget, traces: PreparedSpan[][]): void {
    if (traces.length === 0) return;
    target.exporter.metrics.tracesReleasedWithoutAction += traces.length;
    target.exporter.enqueue(traces.flat());
  }
}
