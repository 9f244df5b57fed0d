import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The spans ended and not yet through an export: what the batch span processor holds in its buffer (up to
 * `OTEL_BSP_SCHEDULE_DELAY`, 5 s by default) or is sending, and what a process that ends without waiting for it
 * (a crash, `process.exit()`) would lose. A span leaves once an exporter has answered for it, sent or not: one the
 * exporter gave up on is not kept for later.
 */
export class UnexportedSpans implements SpanProcessor {
  private readonly spans = new Set<ReadableSpan>();

  /** `limit`: the most kept, oldest dropped first; the batch processor drops spans past its own queue too. */
  constructor(private readonly limit: number) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    // The batch processor exports sampled spans only.
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.spans.add(span);
    if (this.spans.size > this.limit) this.spans.delete(this.spans.values().next().value as ReadableSpan);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** `exporter`, reporting back which spans it has answered for. */
  track(exporter: SpanExporter): SpanExporter {
    const answered = (spans: ReadableSpan[]): void => {
      for (const span of spans) this.spans.delete(span);
    };
    return {
      export: (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) =>
        exporter.export(spans, (result) => {
          answered(spans);
          resultCallback(result);
        }),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  /** Takes the spans not yet through an export, oldest first. */
  take(): ReadableSpan[] {
    const spans = [...this.spans];
    this.spans.clear();
    return spans;
  }
}
