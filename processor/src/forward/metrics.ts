/**
 * Forwarding counters per exporter, named as the Collector's exporterhelper metrics (label `exporter`), so the
 * dashboards and alerts written for a Collector read them unchanged. Exposed by whoever serves /metrics.
 */
export class ExporterMetrics {
  /** Delivered (2xx / gRPC OK). */
  sentSpans = 0;
  /** Given up on: permanent error, retries exhausted, or still unsent at the shutdown deadline. */
  sendFailedSpans = 0;
  /** Lost to a full queue (oldest dropped), or arriving after shutdown began. */
  enqueueFailedSpans = 0;
  /** Attempts repeated after a retryable failure. */
  retries = 0;
  /** after-rollup: traces sent without their action's totals (hold full, held past max_wait, shutdown). */
  tracesReleasedWithoutAction = 0;
}

export interface ExporterMetricsSnapshot {
  exporter: string;
  otelcol_exporter_sent_spans: number;
  otelcol_exporter_send_failed_spans: number;
  otelcol_exporter_enqueue_failed_spans: number;
  /** Spans waiting in the queue (the Collector's items sizer). */
  otelcol_exporter_queue_size: number;
  otelcol_exporter_queue_capacity: number;
  genai_chargeback_forward_retries: number;
  genai_chargeback_forward_held_spans: number;
  genai_chargeback_forward_traces_released_without_action: number;
}

/** What a snapshot samples besides the counters: the exporter's queue and, in after-rollup mode, its hold. */
export interface MeteredExporter {
  readonly name: string;
  readonly metrics: ExporterMetrics;
  readonly queueCapacity: number;
  queuedSpans(): number;
  heldSpans(): number;
}

export class ForwardMetrics {
  constructor(private readonly exporters: readonly MeteredExporter[]) {}

  snapshot(): ExporterMetricsSnapshot[] {
    return this.exporters.map(({ name, metrics, queueCapacity, queuedSpans, heldSpans }) => ({
      exporter: name,
      otelcol_exporter_sent_spans: metrics.sentSpans,
      otelcol_exporter_send_failed_spans: metrics.sendFailedSpans,
      otelcol_exporter_enqueue_failed_spans: metrics.enqueueFailedSpans,
      otelcol_exporter_queue_size: queuedSpans(),
      otelcol_exporter_queue_capacity: queueCapacity,
      genai_chargeback_forward_retries: metrics.retries,
      genai_chargeback_forward_held_spans: heldSpans(),
      genai_chargeback_forward_traces_released_without_action: metrics.tracesReleasedWithoutAction,
    }));
  }
}
