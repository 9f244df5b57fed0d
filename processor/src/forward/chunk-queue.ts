import { encodeRequest, type WireSpan } from './wire/request.js';

/** An encoded ExportTraceServiceRequest waiting to be sent. Concatenated chunks are one valid request. */
export interface Chunk {
  readonly spans: number;
  readonly bytes: Uint8Array;
  readonly enqueuedAtMs: number;
}

export interface ChunkLimits {
  maxSpans: number;
  maxBytes: number;
}

/** Encodes spans as chunks no bigger than one batch, so any chunk can be sent on its own. */
export function toChunks(spans: readonly WireSpan[], limits: ChunkLimits, nowMs: number): Chunk[] {
  const chunks: Chunk[] = [];
  let group: WireSpan[] = [];
  let groupBytes = 0;
  const close = () => {
    if (group.length === 0) return;
    chunks.push({ spans: group.length, bytes: encodeRequest(group), enqueuedAtMs: nowMs });
    group = [];
    groupBytes = 0;
  };
  for (const span of spans) {
    // Headers repeat per resource and scope; 10% covers them for any realistic span size.
    const size = span.bytes.length * 1.1;
    if (group.length >= limits.maxSpans || groupBytes + size > limits.maxBytes) close();
    group.push(span);
    groupBytes += size;
  }
  close();
  return chunks;
}

/**
 * FIFO of chunks bounded in spans and bytes. Past either bound the oldest chunks are dropped (and returned to be
 * counted): under a long outage the newest data is the most useful, and ingest never waits for the queue.
 */
export class ChunkQueue {
  /** Taken slots are cleared so their bytes can be collected before the array is compacted. */
  private chunks: Array<Chunk | undefined> = [];
  private head = 0;
  private spanCount = 0;
  private byteCount = 0;

  constructor(private readonly limits: ChunkLimits) {}

  get spans(): number {
    return this.spanCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  get oldestEnqueuedAtMs(): number | undefined {
    return this.chunks[this.head]?.enqueuedAtMs;
  }

  /** Adds a chunk; returns the chunks dropped to stay within the limits (possibly this one, if it alone is too big). */
  push(chunk: Chunk): Chunk[] {
    this.chunks.push(chunk);
    this.spanCount += chunk.spans;
    this.byteCount += chunk.bytes.length;
    const dropped: Chunk[] = [];
    while (this.spanCount > this.limits.maxSpans || this.byteCount > this.limits.maxBytes) {
      const oldest = this.shift();
      if (oldest === undefined) break;
      dropped.push(oldest);
    }
    return dropped;
  }

  /** Takes chunks from the front while they fit the batch limits; always at least one when not empty. */
  take(limits: ChunkLimits): Chunk[] {
    const taken: Chunk[] = [];
    let spans = 0;
    let bytes = 0;
    for (;;) {
      const next = this.chunks[this.head];
      if (next === undefined) break;
      if (taken.length > 0 && (spans + next.spans > limits.maxSpans || bytes + next.bytes.length > limits.maxBytes)) break;
      this.shift();
      taken.push(next);
      spans += next.spans;
      bytes += next.bytes.length;
    }
    return taken;
  }

  private shift(): Chunk | undefined {
    const chunk = this.chunks[this.head];
    if (chunk === undefined) return undefined;
    this.chunks[this.head++] = undefined;
    this.spanCount -= chunk.spans;
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
