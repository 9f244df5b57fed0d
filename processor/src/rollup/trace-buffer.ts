import type { Attribution } from '../attribution/keys.js';
import type { LlmCall } from '../ledger/llm-call.js';
import { addCall, emptyCallTotals, type CallTotals } from './call-totals.js';
import { WrittenActions } from './written-actions.js';

/** What the roll-up keeps of a root span: the originating request (its name and its attribution). */
export interface TraceRoot extends Attribution {
  rootSpanName: string;
  serviceName: string | null;
  /** Epoch milliseconds (numbers: a Date costs ~110 bytes of every buffered trace). */
  startMs: number;
  endMs: number;
  originTraceId: string | null;
}

/** One trace waiting for its action to be written. Calls themselves are in the ledger already. */
export interface BufferedTrace {
  traceId: string;
  firstSeenMs: number;
  lastSpanMs: number;
  /** Earliest start of any span seen, to bound the ledger scan when the action is computed. */
  minStartMs: number;
  root: TraceRoot | null;
  /** Its action was written already: these are late spans, complete once quiet (the root came before). */
  late: boolean;
  hasCalls: boolean;
  /** The calls stored while the trace was buffered, null until one was. */
  totals: CallTotals | null;
  /** The ledger held some of its calls before (a retry): `totals` lacks them. */
  repeatedCalls: boolean;
  spans: number;
  bytes: number;
}

export interface TraceBufferLimits {
  waitMs: number;
  maxAgeMs: number;
  maxTraces: number;
  maxBytes: number;
}

/** The call rows one batch produced for a trace. */
export interface TraceCalls {
  /** Calls new to the ledger. */
  stored: LlmCall[];
  /** Some were in the ledger already. */
  repeated: boolean;
}

/** Spans of one trace seen together in a batch. */
export interface ObservedSpans {
  traceId: string;
  spans: number;
  /** The earliest start among them, epoch ms. */
  minStartMs: number;
  /** Its root, when among them. */
  root: TraceRoot | null;
  /** The batch's calls of this trace, on one observation of it only, so each call is added once. */
  calls: TraceCalls | undefined;
}

/** Fixed cost of a buffered trace in bytes (the object, its Map entry, the id): `npm run bench` measured ~400 with a root. */
const traceOverheadBytes = 400;
/** A trace's call totals: `npm run bench` measured ~500 bytes with two calls. */
const callTotalsBytes = 512;

/**
 * Groups spans by trace in memory until each trace is complete (root arrived, then quiet for `wait`) or too
 * old (`maxAge`: written anyway, incomplete). Bounded: past `maxTraces` or `maxBytes`, the oldest trace is
 * handed back as evicted so it is written as an incomplete action rather than dropped.
 * Pure bookkeeping: the caller supplies the clock and writes what comes out.
 */
export class TraceBuffer {
  private readonly traces = new Map<string, BufferedTrace>();
  /** Recently written traces (the last `maxTraces` writes), to recognise late spans. */
  private readonly written: WrittenActions;
  private bytes = 0;

  /** `nowMs`: from now on, it remembers every action written (until `maxTraces` later ones push it out). */
  constructor(
    private readonly limits: TraceBufferLimits,
    nowMs: number,
  ) {
    this.written = new WrittenActions(limits.maxTraces, nowMs);
  }

  get size(): number {
    return this.traces.size;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Adds spans; returns the traces evicted to stay within the limits (oldest first). */
  add(observations: Iterable<ObservedSpans>, nowMs: number): BufferedTrace[] {
    const evicted: BufferedTrace[] = [];
    for (const seen of observations) {
      let trace = this.traces.get(seen.traceId);
      if (trace === undefined) {
        trace = {
          traceId: seen.traceId,
          firstSeenMs: nowMs,
          lastSpanMs: nowMs,
          minStartMs: seen.minStartMs,
          root: null,
          late: this.written.has(seen.traceId),
          hasCalls: false,
          totals: null,
          repeatedCalls: false,
          spans: 0,
          bytes: traceOverheadBytes + seen.traceId.length * 2,
        };
        this.traces.set(seen.traceId, trace);
        this.bytes += trace.bytes;
      }
      trace.lastSpanMs = nowMs;
      trace.spans += seen.spans;
      trace.minStartMs = Math.min(trace.minStartMs, seen.minStartMs);
      if (seen.calls !== undefined) this.addCalls(trace, seen.calls);
      if (seen.root !== null && trace.root === null) {
        trace.root = seen.root;
        const rootBytes = rootSize(seen.root);
        trace.bytes += rootBytes;
        this.bytes += rootBytes;
      }
      while (this.traces.size > this.limits.maxTraces || this.bytes > this.limits.maxBytes) {
        const oldest = this.removeOldest();
        if (oldest === undefined) break;
        evicted.push(oldest);
      }
    }
    return evicted;
  }

  /** Removes and returns the traces that are complete or past their maximum age. */
  takeReady(nowMs: number): { complete: BufferedTrace[]; expired: BufferedTrace[] } {
    const complete: BufferedTrace[] = [];
    const expired: BufferedTrace[] = [];
    for (const trace of this.traces.values()) {
      if (nowMs - trace.firstSeenMs >= this.limits.maxAgeMs) expired.push(trace);
      else if ((trace.root !== null || trace.late) && nowMs - trace.lastSpanMs >= this.limits.waitMs) complete.push(trace);
    }
    for (const trace of [...complete, ...expired]) this.remove(trace);
    return { complete, expired };
  }

  /** `rowsStartFromMs`: the action rows of these traces, just written, start at or after it. */
  markWritten(traceIds: string[], rowsStartFromMs: number, nowMs: number): void {
    this.written.record(traceIds, rowsStartFromMs, nowMs);
  }

  /** When the trace's action row was written recently: a time that row starts at or after. */
  writtenRowStartsFrom(traceId: string): number | undefined {
    return this.written.rowsStartFrom(traceId);
  }

  /** Every action written since this time is remembered: a trace not remembered got none since then. */
  get writesRememberedFrom(): number {
    return this.written.rememberedFrom;
  }

  /** Everything still buffered (shutdown: written as it stands). */
  drain(): BufferedTrace[] {
    const all = [...this.traces.values()];
    this.traces.clear();
    this.bytes = 0;
    return all;
  }

  private addCalls(trace: BufferedTrace, calls: TraceCalls): void {
    trace.hasCalls = true;
    trace.repeatedCalls ||= calls.repeated;
    if (calls.stored.length === 0) return;
    if (trace.totals === null) {
      trace.totals = emptyCallTotals();
      trace.bytes += callTotalsBytes;
      this.bytes += callTotalsBytes;
    }
    let added = 0;
    for (const call of calls.stored) added += addCall(trace.totals, call);
    trace.bytes += added;
    this.bytes += added;
  }

  private removeOldest(): BufferedTrace | undefined {
    const oldest = this.traces.values().next().value;
    if (oldest !== undefined) this.remove(oldest);
    return oldest;
  }

  private remove(trace: BufferedTrace): void {
    this.traces.delete(trace.traceId);
    this.bytes -= trace.bytes;
  }
}

function rootSize(root: TraceRoot): number {
  let size = 200;
  for (const value of Object.values(root)) if (typeof value === 'string') size += value.length * 2 + 16;
  return size;
}
