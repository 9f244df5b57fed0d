import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

interface Waiting {
  /** Order in which the span ended. */
  seq: number;
  /** Exporters that have not answered for it yet. */
  exporters: number;
}

/**
 * The spans ended and not yet through an export: what the batch span processors hold in their buffers (up to
 * `OTEL_BSP_SCHEDULE_DELAY`, 5 s by default) or are sending, and what a process that ends without waiting for them
 * (a crash, `process.exit()`) would lose. A span leaves once every exporter has answered for it, sent or not: one an
 * exporter gave up on is not kept for later. A batch processor exports in the order spans ended and drops, without
 * telling, those past its queue: so once an exporter has answered for a span, the spans that ended before it are
 * sent or dropped by that exporter too, and leave when every exporter is past them.
 */
export class UnexportedSpans implements SpanProcessor {
  private readonly spans = new Map<ReadableSpan, Waiting>();
  private readonly answeredThrough: number[] = [];
  private ended = 0;

  /** `limit`: the most kept, oldest dropped first. */
  constructor(private readonly limit: number) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    // The batch processor exports sampled spans only; with no exporter nothing will answer.
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0 || this.answeredThrough.length === 0) return;
    this.spans.set(span, { seq: this.ended++, exporters: this.answeredThrough.length });
    if (this.spans.size > this.limit) this.spans.delete(this.spans.keys().next().value as ReadableSpan);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** `exporter`, reporting back which spans it has answered for. */
  track(exporter: SpanExporter): SpanExporter {
    const index = this.answeredThrough.push(-1) - 1;
    return {
      export: (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) =>
        exporter.export(spans, (result) => {
          this.answered(index, spans);
          resultCallback(result);
        }),
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

  private answered(exporter: number, spans: ReadableSpan[]): void {
    let earliest = Infinity;
    for (const span of spans) {
      const waiting = this.spans.get(span);
      if (waiting === undefined) continue;
      earliest = Math.min(earliest, waiting.seq);
      waiting.exporters -= 1;
      if (waiting.exporters === 0) this.spans.delete(span);
    }
    if (earliest === Infinity) return;
    this.answeredThrough[exporter] = Math.max(this.answeredThrough[exporter] ?? -1, earliest);
    const everyExporterPast = Math.min(...this.answeredThrough);
    // Oldest first: stop at the first span some exporter may still send.
    for (const [span, waiting] of this.spans) {
      if (waiting.seq >= everyExporterPast) break;
      this.spans.delete(span);
    }
  }
}
