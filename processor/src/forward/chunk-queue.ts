import type { WireFormat } from './senders/sender.js';
import { encodeRequest, type WireSpan } from './wire/request.js';

/**
 * An OTLP export request waiting to be sent: encoded spans (protobuf; concatenated span chunks are one valid
 * request), or a logs/metrics request as it was received. `items` are spans, log records or metric points.
 */
export interface Chunk {
  readonly items: number;
  readonly bytes: Uint8Array;
  readonly format: WireFormat;
  /** Span chunks are merged into batches; a passed-through request is always sent on its own, as it came. */
  readonly mergeable: boolean;
  readonly enqueuedAtMs: number;
}

export interface ChunkLimits {
  maxItems: number;
  maxBytes: number;
}

/** Encodes spans as chunks no bigger than one batch, so any chunk can be sent on its own. */
export function toChunks(spans: readonly WireSpan[], limits: ChunkLimits, nowMs: number): Chunk[] {
  const chunks: Chunk[] = [];
  let group: WireSpan[] = [];
  let groupBytes = 0;
  const close = () => {
    if (group.length === 0) return;
    chunks.push({ items: group.length, bytes: encodeRequest(group), format: 'protobuf', mergeable: true, enqueuedAtMs: nowMs });
    group = [];
    groupBytes = 0;
  };
  for (const span of spans) {
    // Headers repeat per resource and scope; 10% covers them for any realistic span size.
    const size = span.bytes.length * 1.1;
    if (group.length >= limits.maxItems || groupBytes + size > limits.maxBytes) close();
    group.push(span);
    groupBytes += size;
  }
  close();
  return chunks;
}

/**
 * FIFO of chunks bounded in items and bytes. Past either bound the oldest chunks are dropped (and returned to be
 * counted): under a long outage the newest data is the most useful, and ingest never waits for the queue.
 */
export class ChunkQueue {
  /** Taken slots are cleared so their bytes can be collected before the array is compacted. */
  private chunks: Array<Chunk | undefined> = [];
  private head = 0;
  private itemCount = 0;
  private byteCount = 0;

  constructor(private readonly limits: ChunkLimits) {}

  /** Chunks waiting (a logs or metrics request may hold no items). */
  get length(): number {
    return this.chunks.length - this.head;
  }

  get items(): number {
    return this.itemCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  get oldest(): Chunk | undefined {
    return this.chunks[this.head];
  }

  get oldestEnqueuedAtMs(): number | undefined {
    return this.oldest?.enqueuedAtMs;
  }

  /** Adds a chunk; returns the chunks dropped to stay within the limits (possibly this one, if it alone is too big). */
  push(chunk: Chunk): Chunk[] {
    this.chunks.push(chunk);
    this.itemCount += chunk.items;
    this.byteCount += chunk.bytes.length;
    const dropped: Chunk[] = [];
    while (this.itemCount > this.limits.maxItems || this.byteCount > this.limits.maxBytes) {
      const oldest = this.shift();
      if (oldest === undefined) break;
      dropped.push(oldest);
    }
    return dropped;
  }

  /**
   * Takes mergeable chunks from the front while they fit the batch limits; always at least one when not empty,
   * and a chunk that is not mergeable only alone.
   */
  take(limits: ChunkLimits): Chunk[] {
    const taken: Chunk[] = [];
    let items = 0;
    let bytes = 0;
    for (;;) {
      const next = this.chunks[this.head];
      if (next === undefined) break;
      if (taken.length > 0 && (!next.mergeable || items + next.items > limits.maxItems || bytes + next.bytes.length > limits.maxBytes)) break;
      this.shift();
      taken.push(next);
      items += next.items;
      bytes += next.bytes.length;
      if (!next.mergeable) break;
    }
    return taken;
  }

  private shift(): Chunk | undefined {
    const chunk = this.chunks[this.head];
    if (chunk === undefined) return undefined;
    this.chunks[this.head++] = undefined;
    this.itemCount -= chunk.items;
    this.byteCount -= chunk.bytes.length;
    // Compact now and then instead of Array.shift per chunk (O(n) each).
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return chunk;
  }
}
