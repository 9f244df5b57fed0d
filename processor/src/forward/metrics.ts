/**
 * Forwarding counters of one exporter and signal, named in the snapshot as the Collector's exporterhelper metrics
 * (label `exporter`), so the dashboards and alerts written for a Collector read them unchanged. Items are spans,
 * log records or metric points. Exposed by whoever serves /metrics.
 */
export class ExporterMetrics {
  /** Delivered (2xx / gRPC OK). */
  sentItems = 0;
  /** Given up on: permanent error, retries exhausted, or still unsent at the shutdown deadline. */
  sendFailedItems = 0;
  /** Lost to a full queue (oldest dropped), or arriving after shutdown began. */
  enqueueFailedItems = 0;
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
  otelcol_exporter_sent_log_records: number;
  otelcol_exporter_send_failed_log_records: number;
  otelcol_exporter_enqueue_failed_log_records: number;
  otelcol_exporter_sent_metric_points: number;
  otelcol_exporter_send_failed_metric_points: number;
  otelcol_exporter_enqueue_failed_metric_points: number;
  /** Of every signal. */
  genai_chargeback_forward_retries: number;
  genai_chargeback_forward_held_spans: number;
  genai_chargeback_forward_traces_released_without_action: number;
}

/** What a snapshot samples besides the counters: the exporter's queue and, in after-rollup mode, its hold. */
export interface MeteredExporter {
  readonly name: string;
  /** Spans. */
  readonly metrics: ExporterMetrics;
  readonly queueCapacity: number;
  queuedSpans(): number;
  heldSpans(): number;
  /** The logs and metrics passed through to the same downstream; null when it takes none. */
  readonly logs: ExporterMetrics | null;
  readonly metricPoints: ExporterMetrics | null;
}

export class ForwardMetrics {
  constructor(private readonly exporters: readonly MeteredExporter[]) {}

  snapshot(): ExporterMetricsSnapshot[] {
    return this.exporters.map(({ name, metrics, queueCapacity, queuedSpans, heldSpans, logs, metricPoints }) => {
      // An exporter that takes no logs (or metrics) reports zeros for them.
      const logRecords = logs ?? new ExporterMetrics();
      const points = metricPoints ?? new ExporterMetrics();
      return {
        exporter: name,
        otelcol_exporter_sent_spans: metrics.sentItems,
        otelcol_exporter_send_failed_spans: metrics.sendFailedItems,
        otelcol_exporter_enqueue_failed_spans: metrics.enqueueFailedItems,
        otelcol_exporter_queue_size: queuedSpans(),
        otelcol_exporter_queue_capacity: queueCapacity,
        otelcol_exporter_sent_log_records: logRecords.sentItems,
        otelcol_exporter_send_failed_log_records: logRecords.sendFailedItems,
        otelcol_exporter_enqueue_failed_log_records: logRecords.enqueueFailedItems,
        otelcol_exporter_sent_metric_points: points.sentItems,
        otelcol_exporter_send_failed_metric_points: points.sendFailedItems,
        otelcol_exporter_enqueue_failed_metric_points: points.enqueueFailedItems,
        genai_chargeback_forward_retries: metrics.retries + logRecords.retries + points.retries,
        genai_chargeback_forward_held_spans: heldSpans(),
        genai_chargeback_forward_traces_released_without_action: metrics.tracesReleasedWithoutAction,
      };
    });
  }
}
