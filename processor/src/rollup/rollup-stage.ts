import type { Logger } from 'pino';
import type { CompiledRule } from '../attribution/resolve-attribution.js';
import type { StoredBatch, StoredBatchListener } from '../pipeline/ingest.js';
import type { TraceRun } from '../pipeline/trace-runs.js';
import { isDataError } from '../store/duckdb-errors.js';
import type { ActionSearch, ActionStore, ActionWrite } from './action-store.js';
import { toTraceRoot } from './root-span.js';
import type { BufferedTrace, ObservedSpans, TraceBuffer, TraceCalls } from './trace-buffer.js';

export interface RollupCounters {
  actionsWritten: number;
  actionsIncomplete: number;
  tracesEvicted: number;
  lateSpans: number;
  lateUpdates: number;
  /** Actions (new or updated) computed from the ledger rather than from the calls the roll-up saw. */
  actionsReadBack: number;
  /** Writes by which `actions` rows they searched for their traces' existing ones (all: a trace had no bound). */
  writesBySearch: Record<ActionSearch, number>;
  writeFailures: number;
  /** Traces whose action row DuckDB refused over its data: not retried (writeOneByOne). */
  actionsDropped: number;
}

/**
 * Notified with the traces whose action was just written (forwarding in after-rollup mode listens here); their
 * action rows all start at or after `startedFrom`.
 */
export type ActionsWrittenListener = (traceIds: string[], startedFrom: Date) => void;

/** Notified with traces that leave the buffer with no action to write. */
export type TracesWithoutActionListener = (traceIds: string[]) => void;

/**
 * A write's rows are built on the JavaScript thread, which requests wait for: a burst of traces completing
 * together (the end of a load peak) is written in parts, so no single write holds the thread for long.
 */
const maxTracesPerWrite = 1_024;

/**
 * How far a host's clock may run ahead of or behind true time, for the bounds below. A trace's spans all start
 * after its root does (the root caused them) and reach the processor after they start, so any action row of the
 * trace was written after `root start − skew` and starts no earlier than `root start − 2 × skew`, as the hosts
 * report them. A host off by more can give a trace written twice a second action row.
 */
const maxClockSkewMs = 5 * 60_000;

interface PendingTrace {
  trace: BufferedTrace;
  complete: boolean;
}

/**
 * Roll-up stage: buffers the spans of each stored batch by trace and writes one `actions` row per trace with
 * at least one GenAI call, once the trace is complete, too old, or evicted. Writes are serialised on one
 * connection; a failed write is retried on the next tick (the ledger has the calls, so nothing is lost), after
 * setting aside any trace whose row DuckDB refuses over its data.
 */
export class RollupStage implements StoredBatchListener {
  readonly counters: RollupCounters = {
    actionsWritten: 0,
    actionsIncomplete: 0,
    tracesEvicted: 0,
    lateSpans: 0,
    lateUpdates: 0,
    actionsReadBack: 0,
    writesBySearch: { none: 0, recent: 0, all: 0 },
    writeFailures: 0,
    actionsDropped: 0,
  };
  private pending: PendingTrace[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: ActionsWrittenListener[] = [];
  private readonly withoutActionListeners: TracesWithoutActionListener[] = [];

  constructor(
    private readonly buffer: TraceBuffer,
    private readonly store: ActionStore,
    private readonly rules: CompiledRule[],
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get tracesBuffered(): number {
    return this.buffer.size;
  }

  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  onActionsWritten(listener: ActionsWrittenListener): void {
    this.listeners.push(listener);
  }

  /** Notified with the traces that left the buffer with no action to write (no GenAI call among their spans). */
  onTracesWithoutAction(listener: TracesWithoutActionListener): void {
    this.withoutActionListeners.push(listener);
  }

  start(tickMs: number): void {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  onStored(batch: StoredBatch): void {
    const evicted = this.buffer.add(observeByTrace(batch.traceRuns, callsOfTraces(batch), this.rules), this.now());
    if (evicted.length > 0) {
      this.counters.tracesEvicted += evicted.length;
      this.enqueue(evicted, false);
      void this.flush();
    }
  }

  /** Moves complete and expired traces to the write queue and writes them. */
  async tick(): Promise<void> {
    const { complete, expired } = this.buffer.takeReady(this.now());
    this.enqueue(complete, true);
    this.enqueue(expired, false);
    await this.flush();
  }

  /** Shutdown: everything buffered is written as it stands (incomplete), then the queue is drained. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.enqueue(this.buffer.drain(), false);
    await this.flush();
    await this.writing;
  }

  private enqueue(traces: BufferedTrace[], complete: boolean): void {
    const withoutAction: string[] = [];
    for (const trace of traces) {
      if (trace.hasCalls) this.pending.push({ trace, complete });
      else withoutAction.push(trace.traceId);
    }
    if (withoutAction.length > 0) for (const listener of this.withoutActionListeners) listener(withoutAction);
  }

  private flush(): Promise<void> {
    this.writing ??= this.writePending().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, maxTracesPerWrite);
      try {
        await this.write(batch);
      } catch (error) {
        this.counters.writeFailures += 1;
        const unwritten = await this.writeOneByOne(batch);
        if (unwritten.length > 0) {
          this.logger.error({ err: error, traces: unwritten.length }, 'writing actions failed; retrying on the next tick');
          this.pending.unshift(...unwritten);
          return;
        }
      }
    }
  }

  private async write(batch: PendingTrace[]): Promise<void> {
    const writes: ActionWrite[] = batch.map(({ trace, complete }) => ({
      traceId: trace.traceId,
      root: trace.root,
      complete,
      // Late spans and retried calls: the ledger holds calls these totals lack.
      calls: trace.late || trace.repeatedCalls ? null : trace.totals,
      existingRowStartsFromMs: this.existingRowStartsFrom(trace),
    }));
    const earliest = batch.reduce((min, { trace }) => Math.min(min, trace.minStartMs), Infinity);
    const { written, updated, readBack, startedFrom, searched } = await this.store.write(writes, earliest);
    this.counters.actionsWritten += written - updated.size;
    this.counters.actionsReadBack += readBack;
    this.counters.writesBySearch[searched] += 1;
    this.counters.actionsIncomplete += batch.filter((p) => !p.complete).length;
    this.counters.lateUpdates += updated.size;
    for (const { trace } of batch) if (updated.has(trace.traceId)) this.counters.lateSpans += trace.spans;
    const traceIds = writes.map((w) => w.traceId);
    this.buffer.markWritten(traceIds, startedFrom.getTime(), this.now());
    for (const listener of this.listeners) listener(traceIds, startedFrom);
  }

  /**
   * After a failed write, its traces one at a time. A trace whose own write fails over its data (DuckDB refuses a
   * value of its row, e.g. a JSON object past the reader's limit) is dropped, counted and
   * logged rather than holding up every trace after it; its calls stay in the ledger, for `rebuild-actions` once
   * the cause is gone. Any other failure (I/O, memory) stops there: the traces not written yet are returned.
   */
  private async writeOneByOne(batch: PendingTrace[]): Promise<PendingTrace[]> {
    for (const [index, pending] of batch.entries()) {
      try {
        await this.write([pending]);
      } catch (error) {
        this.counters.writeFailures += 1;
        if (!isDataError(error)) return batch.slice(index);
        this.counters.actionsDropped += 1;
        const traceId = pending.trace.traceId;
        this.logger.error({ err: error, traceId }, 'an action row DuckDB refuses was dropped; its calls stay in llm_calls');
        for (const listener of this.withoutActionListeners) listener([traceId]);
      }
    }
    return [];
  }

  /**
   * A time any action row the trace already has starts at or after: from its root (see maxClockSkewMs) and from
   * the roll-up's memory of the actions it wrote. Infinity: it has none, as its root started after the roll-up
   * began remembering every write, and it wrote none for the trace. -Infinity: nothing bounds it (its root never
   * reached this processor, or its spans came after the roll-up forgot writing it), every row is compared.
   */
  private existingRowStartsFrom(trace: BufferedTrace): number {
    const fromWritten = this.buffer.writtenRowStartsFrom(trace.traceId);
    if (trace.root === null) return fromWritten ?? -Infinity;
    if (fromWritten === undefined && trace.root.startMs - maxClockSkewMs >= this.buffer.writesRememberedFrom) return Infinity;
    return Math.min(trace.root.startMs - 2 * maxClockSkewMs, fromWritten ?? Infinity);
  }
}

const nanosPerMilli = 1_000_000n;

/**
 * The batch's trace runs as the buffer's observations. Per run, not per span: per span, with a millisecond BigInt
 * division each, this stage took 1.35 µs a span on the bench's batches (~7% of ingest's JavaScript time when every
 * span is a call); per run, with the call totals read by name, 0.85.
 */
function observeByTrace(runs: readonly TraceRun[], callsByTrace: Map<string, TraceCalls>, rules: CompiledRule[]): ObservedSpans[] {
  return runs.map((run) => {
    const calls = callsByTrace.get(run.traceId);
    // On the trace's first run only, so each call is added once.
    if (calls !== undefined) callsByTrace.delete(run.traceId);
    return {
      traceId: run.traceId,
      spans: run.spans,
      minStartMs: Number(run.minStartUnixNano / nanosPerMilli),
      root: run.root === null ? null : toTraceRoot(run.root, rules),
      calls,
    };
  });
}

/** The batch's call rows by trace: which are new to the ledger, and whether any was in it before. */
function callsOfTraces(batch: StoredBatch): Map<string, TraceCalls> {
  const byTrace = new Map<string, TraceCalls>();
  const of = (traceId: string): TraceCalls => {
    let calls = byTrace.get(traceId);
    if (calls === undefined) byTrace.set(traceId, (calls = { stored: [], repeated: false }));
    return calls;
  };
  // Nested second reports are calls too (the trace has one), though not stored.
  for (const call of batch.calls) of(call.trace_id);
  for (const call of batch.inserted) of(call.trace_id).stored.push(call);
  for (const call of batch.repeated) of(call.trace_id).repeated = true;
  return byTrace;
}
