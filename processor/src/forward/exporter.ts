import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ChunkQueue, toChunks, type Chunk, type ChunkLimits } from './chunk-queue.js';
import type { ExporterMetrics } from './metrics.js';
import { nextDelayMs, type RetryPolicy } from './retry.js';
import type { Sender } from './senders/sender.js';
import type { WireSpan } from './wire/request.js';

export interface ExporterOptions {
  name: string;
  queue: ChunkLimits & { consumers: number };
  batch: ChunkLimits & { timeoutMs: number };
  retry: RetryPolicy;
}

/**
 * One downstream: a bounded queue of encoded chunks drained by `consumers` concurrent senders, each sending one
 * batch (chunks concatenated up to the batch limits) with retries. `enqueue` only encodes and queues, so ingest
 * never waits on the downstream; when the queue overflows, the oldest chunks are dropped and counted.
 */
export class Exporter {
  private readonly queue: ChunkQueue;
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly abort = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private lastDropLogMs = -Infinity;

  constructor(
    readonly options: ExporterOptions,
    private readonly sender: Sender,
    readonly metrics: ExporterMetrics,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.queue = new ChunkQueue(options.queue);
  }

  get queuedSpans(): number {
    return this.queue.spans;
  }

  enqueue(spans: readonly WireSpan[]): void {
    if (spans.length === 0) return;
    if (this.closing) {
      this.metrics.enqueueFailedSpans += spans.length;
      return;
    }
    for (const chunk of toChunks(spans, this.options.batch, Date.now())) {
      const dropped = this.queue.push(chunk);
      if (dropped.length > 0) this.countDropped(dropped);
    }
    this.pump();
  }

  /**
   * Sends what is queued without waiting for batches to fill, and resolves once everything is delivered or
   * given up. At the deadline in-flight requests are aborted and whatever is left counts as failed.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.clearTimer();
    const deadline = setTimeout(() => this.abort.abort(), deadlineMs);
    this.pump();
    await this.idle();
    clearTimeout(deadline);
    this.sender.close();
  }

  private pump(): void {
    while (this.active < this.options.queue.consumers && this.queue.spans > 0) {
      const wait = this.batchWaitMs();
      if (wait > 0) {
        this.armTimer(wait);
        return;
      }
      const chunks = this.queue.take(this.options.batch);
      this.active++;
      void this.deliver(chunks).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.spans === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    }
  }

  /** 0 when a batch should go now: full, its oldest span has waited the batch timeout, or shutting down. */
  private batchWaitMs(): number {
    const { batch } = this.options;
    if (this.closing || this.queue.spans >= batch.maxSpans || this.queue.bytes >= batch.maxBytes) return 0;
    return Math.max(0, (this.queue.oldestEnqueuedAtMs ?? 0) + batch.timeoutMs - Date.now());
  }

  private armTimer(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private idle(): Promise<void> {
    if (this.active === 0 && this.queue.spans === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async deliver(chunks: Chunk[]): Promise<void> {
    const spans = chunks.reduce((sum, chunk) => sum + chunk.spans, 0);
    let body: Uint8Array;
    try {
      body = await this.sender.encode(chunks.length === 1 ? chunks[0]!.bytes : Buffer.concat(chunks.map((chunk) => chunk.bytes)));
    } catch (error) {
      this.fail(spans, `encoding failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      if (this.abort.signal.aborted) {
        this.fail(spans, 'not sent by the shutdown deadline');
        return;
      }
      const outcome = await this.sender.send(body, this.abort.signal);
      if (outcome.kind === 'sent') {
        this.metrics.sentSpans += spans;
        return;
      }
      const delay = this.abort.signal.aborted ? null : nextDelayMs(this.options.retry, outcome, retry, Date.now() - started, this.random);
      if (delay === null) {
        this.fail(spans, outcome.reason);
        return;
      }
      this.metrics.retries += 1;
      this.logger.debug({ exporter: this.options.name, spans, reason: outcome.reason, delayMs: Math.round(delay) }, 'forwarding failed; retrying');
      await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  private fail(spans: number, reason: string): void {
    this.metrics.sendFailedSpans += spans;
    this.logger.warn({ exporter: this.options.name, spans, reason }, 'forwarding gave up on a batch');
  }

  private countDropped(dropped: Chunk[]): void {
    const spans = dropped.reduce((sum, chunk) => sum + chunk.spans, 0);
    this.metrics.enqueueFailedSpans += spans;
    // A long outage overflows on every batch: one line every 10 s, with the running total, is enough.
    const now = Date.now();
    if (now - this.lastDropLogMs >= 10_000) {
      this.lastDropLogMs = now;
      this.logger.warn({ exporter: this.options.name, droppedSpans: this.metrics.enqueueFailedSpans }, 'forwarding queue full; dropping the oldest spans');
    }
  }
}
