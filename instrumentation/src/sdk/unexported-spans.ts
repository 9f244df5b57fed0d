import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

interface Waiting {
  /** Order in which the span ended. */
  seq: number;
  /** One bit per exporter: the span was handed to that exporter. */
  handed: number;
  /** One bit per exporter: that exporter is done with the span (answered for it, or dropped it). */
  settled: number;
}

/** Exporters are told apart by one bit each. */
const MAX_EXPORTERS = 30;

/**
 * The spans ended and not yet through an export: what the batch span processors hold in their buffers (up to
 * `OTEL_BSP_SCHEDULE_DELAY`, 5 s by default) or are sending, and what a process that ends without waiting for them
 * (a crash, `process.exit()`) would lose. A span leaves once every exporter is done with it: it answered for it,
 * sent or not (one an exporter gave up on is not kept for later), or it was dropped. A batch processor hands spans
 * to its exporter in the order they ended and drops, without telling, those past its queue: so when it hands over a
 * span, the earlier ones it never handed over were dropped. Batches may be in flight at once (a flush sends them
 * all); a span handed over stays until its own batch is answered.
 */
export class UnexportedSpans implements SpanProcessor {
  private readonly spans = new Map<ReadableSpan, Waiting>();
  private exporters = 0;
  private ended = 0;

  /** `limit`: the most kept, oldest dropped first. */
  constructor(private readonly limit: number) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    // The batch processor exports sampled spans only; with no exporter nothing will answer.
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0 || this.exporters === 0) return;
    this.spans.set(span, { seq: this.ended++, handed: 0, settled: 0 });
    if (this.spans.size > this.limit) this.spans.delete(this.spans.keys().next().value as ReadableSpan);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** `exporter`, reporting back which spans it was handed and has answered for. */
  track(exporter: SpanExporter): SpanExporter {
    if (this.exporters === MAX_EXPORTERS) return exporter;
    const bit = 1 << this.exporters++;
    return {
      export: (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) => {
        this.handed(bit, spans);
        exporter.export(spans, (result) => {
          for (const span of spans) this.settle(span, bit);
          resultCallback(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  /** Takes the spans not yet through an export, oldest first. */
  take(): ReadableSpan[] {
    const spans = [...this.spans.keys()];
    this.spans.clear();
    return spans;
  }

  private handed(bit: number, spans: ReadableSpan[]): void {
    let latest = -1;
    for (const span of spans) {
      const waiting = this.spans.get(span);
      if (waiting === undefined) continue;
      waiting.handed |= bit;
      latest = Math.max(latest, waiting.seq);
    }
    // Oldest first: the spans that ended before the latest one handed over, and were never handed over, were dropped.
    for (const [span, waiting] of this.spans) {
      if (waiting.seq >= latest) break;
      if ((waiting.handed & bit) === 0) this.settle(span, bit);
    }
  }

  private settle(span: ReadableSpan, bit: number): void {
    const waiting = this.spans.get(span);
    if (waiting === undefined) return;
    waiting.settled |= bit;
    if (waiting.settled === (1 << this.exporters) - 1) this.spans.delete(span);
  }
}
