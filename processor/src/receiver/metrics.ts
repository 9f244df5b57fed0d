import type { OtlpSignal } from '../otlp/index.js';
import type { RequestOutcome } from './errors.js';

export type Transport = 'http' | 'grpc';

/** Span counts per transport, named after the Collector's otelcol_receiver_* metrics. */
export interface SpanCounts {
  /** Handed to the sink and stored. */
  accepted: number;
  /** Invalid (bad ids, end before start) or rejected by the sink: partial success, not retried. */
  rejected: number;
  /** Refused because the sink failed: the client was told to retry. */
  refused: number;
}

export interface RequestCount {
  transport: Transport;
  signal: OtlpSignal;
  outcome: RequestOutcome;
  count: number;
}

export interface ReceiverMetricsSnapshot {
  spans: Record<Transport, SpanCounts>;
  requests: RequestCount[];
}

/** Counters for the receivers' internal metrics, shared by the HTTP and gRPC receivers; exposed elsewhere. */
export class ReceiverMetrics {
  private readonly spans: Record<Transport, SpanCounts> = {
    http: { accepted: 0, rejected: 0, refused: 0 },
    grpc: { accepted: 0, rejected: 0, refused: 0 },
  };
  private readonly requests = new Map<string, RequestCount>();

  countRequest(transport: Transport, signal: OtlpSignal, outcome: RequestOutcome): void {
    const key = `${transport} ${signal} ${outcome}`;
    const entry = this.requests.get(key);
    if (entry === undefined) this.requests.set(key, { transport, signal, outcome, count: 1 });
    else entry.count++;
  }

  countSpans(transport: Transport, counts: Partial<SpanCounts>): void {
    const totals = this.spans[transport];
    totals.accepted += counts.accepted ?? 0;
    totals.rejected += counts.rejected ?? 0;
    totals.refused += counts.refused ?? 0;
  }

  /** Requests of one kind so far (0 when none). */
  requestCount(transport: Transport, signal: OtlpSignal, outcome: RequestOutcome): number {
    return this.requests.get(`${transport} ${signal} ${outcome}`)?.count ?? 0;
  }

  snapshot(): ReceiverMetricsSnapshot {
    return {
      spans: { http: { ...this.spans.http }, grpc: { ...this.spans.grpc } },
      requests: [...this.requests.values()].map((entry) => ({ ...entry })),
    };
  }
}
