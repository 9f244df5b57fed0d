import type { PreparedSpan } from './prepare.js';

export interface TraceHoldLimits {
  maxSpans: number;
  maxBytes: number;
  maxWaitMs: number;
}

interface HeldTrace {
  spans: PreparedSpan[];
  bytes: number;
  firstHeldMs: number;
}

/** Fixed cost of a held trace and of a held span beyond its bytes (objects, Map entry, ids). */
const traceOverheadBytes = 200;
const spanOverheadBytes = 100;

/**
 * after-rollup: spans wait here, by trace, until the roll-up has written the trace's action (or decided there is
 * none). Bounded: past `maxSpans`/`maxBytes` the oldest trace is handed back to be sent as it is, and so is any
 * trace held longer than `maxWait` (the roll-up may be behind or failing). Pure bookkeeping; the caller sends.
 */
export class TraceHold {
  /** Insertion order is age order: the first entry is the oldest trace. */
  private readonly traces = new Map<string, HeldTrace>();
  private spanCount = 0;
  private byteCount = 0;

  constructor(private readonly limits: TraceHoldLimits) {}

  get spans(): number {
    return this.spanCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  holds(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** Holds the spans; returns the traces evicted to stay within the limits (oldest first). */
  add(spans: readonly PreparedSpan[], nowMs: number): PreparedSpan[][] {
    for (const span of spans) {
      let trace = this.traces.get(span.traceId);
      if (trace === undefined) {
        trace = { spans: [], bytes: traceOverheadBytes, firstHeldMs: nowMs };
        this.traces.set(span.traceId, trace);
        this.byteCount += traceOverheadBytes;
      }
      const size = span.bytes.length + spanOverheadBytes;
      trace.spans.push(span);
      trace.bytes += size;
      this.spanCount += 1;
      this.byteCount += size;
    }
    const evicted: PreparedSpan[][] = [];
    while (this.spanCount > this.limits.maxSpans || this.byteCount > this.limits.maxBytes) {
      const oldest = this.traces.keys().next();
      if (oldest.done === true) break;
      evicted.push(this.remove(oldest.value));
    }
    return evicted;
  }

  /** Removes and returns the held spans of these traces (traces not held are skipped). */
  take(traceIds: Iterable<string>): Array<{ traceId: string; spans: PreparedSpan[] }> {
    const taken: Array<{ traceId: string; spans: PreparedSpan[] }> = [];
    for (const traceId of traceIds) {
      if (this.traces.has(traceId)) taken.push({ traceId, spans: this.remove(traceId) });
    }
    return taken;
  }

  /** Removes and returns the traces held for `maxWait` or longer. */
  takeExpired(nowMs: number): PreparedSpan[][] {
    const expired: PreparedSpan[][] = [];
    for (const [traceId, trace] of this.traces) {
      // Age order: the first trace young enough ends the scan.
      if (nowMs - trace.firstHeldMs < this.limits.maxWaitMs) break;
      expired.push(this.remove(traceId));
    }
    return expired;
  }

  drain(): PreparedSpan[][] {
    return [...this.traces.keys()].map((traceId) => this.remove(traceId));
  }

  private remove(traceId: string): PreparedSpan[] {
    const trace = this.traces.get(traceId)!;
    this.traces.delete(traceId);
    this.spanCount -= trace.spans.length;
    this.byteCount -= trace.bytes;
    return trace.spans;
  }
}
