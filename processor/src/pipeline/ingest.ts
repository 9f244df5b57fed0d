import type { Logger } from 'pino';
import { resolveAttribution, type CompiledRule } from '../attribution/resolve-attribution.js';
import { teamRefused } from '../auth/team-binding.js';
import { ledgerRangeProblem } from '../ledger/column-ranges.js';
import type { LlmCall } from '../ledger/llm-call.js';
import { toGenAiCall } from '../normalize/genai-call.js';
import type { DecodedSpan, DecodedTraces } from '../otlp/types.js';
import type { LedgerWriter, RefusedRow, WriteResult } from '../store/ledger-writer.js';
import { rejectSpans } from './span-pass.js';
import { priceRequestOf, toLlmCall, type PriceCall } from './to-llm-call.js';
import { traceRuns, type TraceRun } from './trace-runs.js';
import type { ExportContext, ExportOutcome, TraceSink } from './trace-sink.js';

/** Later stages (roll-up, budgets, forwarding) see each durable batch's traces and the calls it added. */
export interface StoredBatchListener {
  onStored(batch: StoredBatch): void;
  /**
   * The listener reads the batch's whole spans, `span.wire` included (forwarding): receivers keep the wire when
   * decoding, and the pipeline keeps the spans until the commit.
   */
  readonly needsSpans?: boolean;
}

export interface StoredBatch {
  /**
   * The batch's spans, whole, when a listener needs them (`needsSpans`); else null. In journal mode a batch waits
   * for its commit after the answer, and what it holds then V8's young-generation collections copy: its decoded
   * spans kept ~700 bytes a span (the bench's calls), its trace runs keep ~56.
   */
  spans: readonly DecodedSpan[] | null;
  /** The batch's spans as runs of one trace each, each with its root span: what the roll-up reads. */
  traceRuns: TraceRun[];
  /** Calls new to the ledger in this batch (retried copies are not repeated). */
  inserted: LlmCall[];
  /** Calls the ledger held before this batch (retries, replays). */
  repeated: LlmCall[];
  /** Every call row the batch produced, new or not (nested repeats too). */
  calls: readonly LlmCall[];
  context: ExportContext;
}

type PublishedSpans = Pick<StoredBatch, 'spans' | 'traceRuns'>;

export interface IngestCounters {
  spansReceived: number;
  callsReceived: number;
  callsStored: number;
  callsDuplicate: number;
  callsNested: number;
  callsUnpriced: number;
  /** Calls DuckDB refused over their data: rejected by partial success, or (journal mode) quarantined. */
  callsRefused: number;
  unallocatedCostNanos: bigint;
}

export interface IngestPipelineDeps {
  writer: LedgerWriter;
  priceCall: PriceCall;
  rules: CompiledRule[];
  logger: Logger;
  listeners?: StoredBatchListener[];
}

/** decode → normalize → attribute → price → store: the receivers' TraceSink. */
export class IngestPipeline implements TraceSink {
  readonly counters: IngestCounters = {
    spansReceived: 0,
    callsReceived: 0,
    callsStored: 0,
    callsDuplicate: 0,
    callsNested: 0,
    callsUnpriced: 0,
    callsRefused: 0,
    unallocatedCostNanos: 0n,
  };
  private readonly listeners: StoredBatchListener[];

  constructor(private readonly deps: IngestPipelineDeps) {
    this.listeners = [...(deps.listeners ?? [])];
  }

  addListener(listener: StoredBatchListener): void {
    this.listeners.push(listener);
  }

  get keepWire(): boolean {
    return this.listeners.some((listener) => listener.needsSpans === true);
  }

  async export(traces: DecodedTraces, context: ExportContext): Promise<ExportOutcome> {
    const receivedAt = new Date();
    const rows: LlmCall[] = [];
    const unstorable = new Map<number, string>();
    traces.spans.forEach((span, index) => {
      const call = toGenAiCall(span);
      if (call === null) return;
      const attribution = resolveAttribution(span.attributes, span.resource, this.deps.rules);
      // The token's team binding refused the span's team; a rule must not set it again.
      if (teamRefused(span)) attribution.team = null;
      const row = toLlmCall(call, attribution, this.deps.priceCall(priceRequestOf(call)), receivedAt);
      const problem = ledgerRangeProblem(row);
      if (problem === null) rows.push(row);
      else unstorable.set(index, `span ${span.spanId}: ${problem}`);
    });
    this.counters.spansReceived += traces.spans.length;
    const accepted = rejectSpans(traces, unstorable);
    this.counters.callsReceived += rows.length;
    // Only this, not `accepted`, may be kept past the answer (see StoredBatch.spans).
    const published = publishedSpans(accepted.spans, this.keepWire);

    const write = this.deps.writer.writeDurably(rows);
    await write.durable;
    if (this.deps.writer.acknowledgesBeforeCommit) {
      // Later stages run after the answer. Rows DuckDB refuses then stay in the journal's quarantine.
      write.committed.then(
        (result) => this.publish(published, context, rows, result),
        // Acknowledged from the journal and not committed before a stop: the next start replays it.
        () => undefined,
      );
      return { rejectedSpans: accepted.rejectedSpans, errorMessage: accepted.rejectionMessage };
    }
    // Without a journal the batch is committed already; its later stages run before the answer, as they always did.
    const result = await write.committed;
    if (result.refused.length === 0) {
      this.publish(published, context, rows, result);
      return { rejectedSpans: accepted.rejectedSpans, errorMessage: accepted.rejectionMessage };
    }
    const answered = rejectSpans(accepted, refusedSpans(accepted, result.refused));
    this.publish(publishedSpans(answered.spans, this.keepWire), context, rows, result);
    return { rejectedSpans: answered.rejectedSpans, errorMessage: answered.rejectionMessage };
  }

  /** Counts the committed batch and hands it to the later stages. */
  private publish(traces: PublishedSpans, context: ExportContext, rows: LlmCall[], { inserted, nested, repeated, refused }: WriteResult): void {
    this.counters.callsRefused += refused.length;
    this.count(inserted, rows.length - inserted.length - nested - refused.length, nested);
    for (const listener of this.listeners) {
      try {
        listener.onStored({ ...traces, inserted, repeated, calls: rows, context });
      } catch (error) {
        // The batch is durable already; a later stage failing must not turn that into a client error.
        this.deps.logger.error({ err: error, requestId: context.requestId }, 'post-store stage failed');
      }
    }
  }

  private count(inserted: LlmCall[], duplicates: number, nested: number): void {
    const c = this.counters;
    c.callsStored += inserted.length;
    c.callsDuplicate += duplicates;
    c.callsNested += nested;
    for (const row of inserted) {
      if (row.cost_source === 'unpriced') c.callsUnpriced += 1;
      if (row.team === null && row.cost_nanos !== null) c.unallocatedCostNanos += row.cost_nanos;
    }
  }
}

function publishedSpans(spans: DecodedSpan[], whole: boolean): PublishedSpans {
  return { spans: whole ? spans : null, traceRuns: traceRuns(spans) };
}

/** The spans whose call rows DuckDB refused, by index, with its reason. */
function refusedSpans(traces: DecodedTraces, refused: readonly RefusedRow[]): Map<number, string> {
  const reasons = new Map(refused.map(({ row, reason }) => [`${row.trace_id}/${row.span_id}`, reason]));
  const byIndex = new Map<number, string>();
  traces.spans.forEach((span, index) => {
    const reason = reasons.get(`${span.traceId}/${span.spanId}`);
    if (reason !== undefined) byIndex.set(index, `span ${span.spanId}: the ledger refused it: ${reason}`);
  });
  return byIndex;
}
