import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { OtlpSignal } from '../otlp/index.js';
import { ChunkQueue, toChunks, type Chunk, type ChunkLimits } from './chunk-queue.js';
import type { ExporterMetrics } from './metrics.js';
import { nextDelayMs, type RetryPolicy } from './retry.js';
import type { Sender, WireFormat, WireRequest } from './senders/sender.js';
import type { WireSpan } from './wire/request.js';

export interface ExporterOptions {
  name: string;
  /** What the queued items are: spans, log records or metric points. */
  signal: OtlpSignal;
  queue: ChunkLimits & { consumers: number };
  batch: ChunkLimits & { timeoutMs: number };
  retry: RetryPolicy;
}

/**
 * One downstream, one signal: a bounded queue of encoded chunks drained by `consumers` concurrent senders, each
 * sending one batch (span chunks concatenated up to the batch limits; a logs or metrics request on its own) with
 * retries. Enqueueing only encodes and queues, so ingest never waits on the downstream; when the queue
 * overflows, the oldest chunks are dropped and counted.
 */
export class Exporter {
  private readonly queue: ChunkQueue;
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly abort = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private lastDropLogMs = -Infinity;
  private lastFailLogMs = -Infinity;

  constructor(
    readonly options: ExporterOptions,
    private readonly sender: Sender,
    readonly metrics: ExporterMetrics,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.queue = new ChunkQueue(options.queue);
  }

  /** Spans, log records or metric points waiting. */
  get queuedItems(): number {
    return this.queue.items;
  }

  enqueue(spans: readonly WireSpan[]): void {
    if (spans.length === 0) return;
    this.push(spans.length, () => toChunks(spans, this.options.batch, Date.now()));
  }

  /** A logs or metrics export request, sent on as it is; `items` are its log records or metric points. */
  enqueueRequest(bytes: Uint8Array, format: WireFormat, items: number): void {
    this.push(items, () => [{ items, bytes, format, mergeable: false, enqueuedAtMs: Date.now() }]);
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

  private push(items: number, chunks: () => Chunk[]): void {
    if (this.closing) {
      this.metrics.enqueueFailedItems += items;
      return;
    }
    for (const chunk of chunks()) {
      const dropped = this.queue.push(chunk);
      if (dropped.length > 0) this.countDropped(dropped);
    }
    this.pump();
  }

  private pump(): void {
    while (this.active < this.options.queue.consumers && this.queue.length > 0) {
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
        if (this.active === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    }
  }

  /** 0 when a batch should go now: full, its oldest chunk has waited the batch timeout or is not batched, or shutting down. */
  private batchWaitMs(): number {
    const { batch } = this.options;
    const oldest = this.queue.oldest;
    if (this.closing || oldest?.mergeable === false || this.queue.items >= batch.maxItems || this.queue.bytes >= batch.maxBytes) return 0;
    return Math.max(0, (oldest?.enqueuedAtMs ?? 0) + batch.timeoutMs - Date.now());
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
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async deliver(chunks: Chunk[]): Promise<void> {
    const items = chunks.reduce((sum, chunk) => sum + chunk.items, 0);
    const first = chunks[0]!;
    let body: WireRequest;
    try {
      // Only protobuf span chunks are ever taken together, and concatenated protobuf requests are one request.
      const bytes = chunks.length === 1 ? first.bytes : Buffer.concat(chunks.map((chunk) => chunk.bytes));
      body = await this.sender.encode({ bytes, format: first.format });
    } catch (error) {
      this.fail(items, `encoding failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      if (this.abort.signal.aborted) {
        this.fail(items, 'not sent by the shutdown deadline');
        return;
      }
      const outcome = await this.sender.send(body, this.abort.signal);
      if (outcome.kind === 'sent') {
        this.metrics.sentItems += items;
        return;
      }
      const delay = this.abort.signal.aborted ? null : nextDelayMs(this.options.retry, outcome, retry, Date.now() - started, this.random);
      if (delay === null) {
        this.fail(items, outcome.reason);
        return;
      }
      this.metrics.retries += 1;
      this.logger.debug({ exporter: this.options.name, signal: this.options.signal, items, reason: outcome.reason, delayMs: Math.round(delay) }, 'forwarding failed; retrying');
      await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  private fail(items: number, reason: string): void {
    this.metrics.sendFailedItems += items;
    // A lasting refusal (or OTLP/JSON logs meant for gRPC) fails every request: one line every 10 s is enough.
    const now = Date.now();
    if (now - this.lastFailLogMs < 10_000) return;
    this.lastFailLogMs = now;
    this.logger.warn({ exporter: this.options.name, signal: this.options.signal, items, reason, failedItems: this.metrics.sendFailedItems }, 'forwarding gave up on a batch');
  }

  private countDropped(dropped: Chunk[]): void {
    this.metrics.enqueueFailedItems += dropped.reduce((sum, chunk) => sum + chunk.items, 0);
    // A long outage overflows on every batch: one line every 10 s, with the running total, is enough.
    const now = Date.now();
    if (now - this.lastDropLogMs >= 10_000) {
      this.lastDropLogMs = now;
      this.logger.warn({ exporter: this.options.name, signal: this.options.signal, droppedItems: this.metrics.enqueueFailedItems }, 'forwarding queue full; dropping the oldest data');
    }
  }
}
