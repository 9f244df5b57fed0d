import { Counter, Gauge, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { AuthFailure } from '../auth/token-verifier.js';
import type { TeamBindingCounters } from '../auth/team-binding.js';
import type { ExporterMetricsSnapshot } from '../forward/metrics.js';
import type { LimitsCounters } from '../limits/limits-pass.js';
import type { IngestCounters } from '../pipeline/ingest.js';
import type { ReceiverMetrics } from '../receiver/metrics.js';
import type { RollupCounters } from '../rollup/rollup-stage.js';
import type { MemoryLimiterState } from './memory-limiter.js';

/** Live views of the counters the stages keep; read at each scrape, so the hot path only increments numbers. */
export interface MetricSources {
  receiver: ReceiverMetrics;
  ingest: IngestCounters;
  /** Spans of batches the ledger committed (the pipeline's outgoing items). */
  storedSpans: () => number;
  rollup: { counters: RollupCounters; tracesBuffered: number; bufferedBytes: number };
  writer: { queueSize: number; commits: number; recentKeyBytes: number };
  queueCapacity: number;
  limits: LimitsCounters;
  teamBinding: TeamBindingCounters;
  authFailures: Readonly<Record<AuthFailure, number>>;
  memory: () => MemoryLimiterState | null;
  /** The forwarding exporters' counters, one snapshot per exporter (none without a `forward` section). */
  forwarding: () => ExporterMetricsSnapshot[];
  /** Bytes DuckDB holds by tag (duckdb_memory(): base tables, indexes, …); tags holding nothing are left out. */
  duckdbMemory: () => Promise<Array<{ tag: string; bytes: number }>>;
  /** Told when a source fails; the scrape still answers, without that source's samples. */
  onSourceError: (source: string, error: unknown) => void;
}

type Labels = LabelValues<string>;

/**
 * The processor's Prometheus metrics: the Collector's own names for what a Collector would report (receiver,
 * processor, exporter queue), `genai_chargeback_*` for the ledger, roll-up, caps, auth and memory limiter, and
 * prom-client's default process metrics (process_resident_memory_bytes, nodejs_heap_size_used_bytes, …).
 */
export function createMetricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const counter = (name: string, help: string, labelNames: string[], read: () => Array<[Labels, number]>) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  const gauge = (name: string, help: string, labelNames: string[], read: () => Array<[Labels, number]>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  const transports = ['http', 'grpc'] as const;
  const perTransport = (field: 'accepted' | 'rejected' | 'refused') => () =>
    transports.map((transport): [Labels, number] => [
      { receiver: 'otlp', transport },
      sources.receiver.snapshot().spans[transport][field],
    ]);
  const pipeline = { processor: 'genai_chargeback', otel_signal: 'traces' };
  const ledger = { exporter: 'duckdb', data_type: 'traces' };

  counter('otelcol_receiver_accepted_spans', 'Spans accepted by the OTLP receivers and handed to the pipeline.', ['receiver', 'transport'], perTransport('accepted'));
  counter('otelcol_receiver_refused_spans', 'Spans refused with a retryable error (queue full, storage failure); clients retry them. Requests refused before decoding (memory limit, auth) have no span count: see genai_chargeback_receiver_requests_total.', ['receiver', 'transport'], perTransport('refused'));
  counter('genai_chargeback_receiver_rejected_spans_total', 'Spans rejected as invalid or over a cap (OTLP partial success; not retried).', ['receiver', 'transport'], perTransport('rejected'));
  counter('genai_chargeback_receiver_requests_total', 'OTLP requests by transport, signal and outcome.', ['transport', 'signal', 'outcome'], () =>
    sources.receiver.snapshot().requests.map((r): [Labels, number] => [{ transport: r.transport, signal: r.signal, outcome: r.outcome }, r.count]),
  );
  counter('otelcol_processor_incoming_items', 'Spans handed to the chargeback pipeline.', ['processor', 'otel_signal'], () => [[pipeline, sources.ingest.spansReceived]]);
  counter('otelcol_processor_outgoing_items', 'Spans of batches the ledger committed.', ['processor', 'otel_signal'], () => [[pipeline, sources.storedSpans()]]);
  // The ledger is an exporter here like the forwarding exporters: one queue metric with an `exporter` label.
  const forwarded = (key: keyof Omit<ExporterMetricsSnapshot, 'exporter'>, dataType?: string) => (): Array<[Labels, number]> =>
    sources.forwarding().map((s) => [dataType === undefined ? { exporter: s.exporter } : { exporter: s.exporter, data_type: dataType }, s[key]]);
  gauge('otelcol_exporter_queue_size', 'Items waiting: rows to commit to the ledger (exporter "duckdb"), spans to forward.', ['exporter', 'data_type'], () => [
    [ledger, sources.writer.queueSize],
    ...forwarded('otelcol_exporter_queue_size', 'traces')(),
  ]);
  gauge('otelcol_exporter_queue_capacity', 'Items that may wait: storage.max_queued_spans for the ledger, the forwarding queue size.', ['exporter', 'data_type'], () => [
    [ledger, sources.queueCapacity],
    ...forwarded('otelcol_exporter_queue_capacity', 'traces')(),
  ]);
  for (const item of ['spans', 'log_records', 'metric_points'] as const) {
    for (const outcome of ['sent', 'send_failed', 'enqueue_failed'] as const) {
      const name = `otelcol_exporter_${outcome}_${item}` as const;
      counter(name, `Forwarded ${item.replace('_', ' ')}: ${outcome.replace('_', ' ')}.`, ['exporter'], forwarded(name));
    }
  }
  counter('genai_chargeback_forward_retries', 'Forwarding send attempts retried (all signals).', ['exporter'], forwarded('genai_chargeback_forward_retries'));
  gauge('genai_chargeback_forward_held_spans', 'Spans held until their action is written (after-rollup mode).', ['exporter'], forwarded('genai_chargeback_forward_held_spans'));
  counter('genai_chargeback_forward_traces_released_without_action', 'Held traces forwarded without an action (no GenAI call).', ['exporter'], forwarded('genai_chargeback_forward_traces_released_without_action'));

  const one = (value: () => number) => (): Array<[Labels, number]> => [[{}, value()]];
  counter('genai_chargeback_calls_received_total', 'GenAI calls recognised in received spans.', [], one(() => sources.ingest.callsReceived));
  counter('genai_chargeback_calls_stored_total', 'Calls new to the ledger.', [], one(() => sources.ingest.callsStored));
  counter('genai_chargeback_ledger_commits_total', 'INSERTs into llm_calls committed, each one transaction (calls stored per commit: how commits batch).', [], one(() => sources.writer.commits));
  gauge('genai_chargeback_recent_call_keys_bytes', 'Bytes of the hash tables of recent calls\' ids, which spare new calls a ledger lookup (one a 10-second bucket, sized to the calls of the bucket before).', [], one(() => sources.writer.recentKeyBytes));
  counter('genai_chargeback_calls_duplicate_total', 'Calls already in the ledger (retries, replays): not stored again.', [], one(() => sources.ingest.callsDuplicate));
  counter('genai_chargeback_calls_nested_total', 'Second reports of a call already counted (an SDK span under an instrumentation span).', [], one(() => sources.ingest.callsNested));
  counter('genai_chargeback_calls_unpriced_total', 'Stored calls the price book could not price (cost NULL).', [], one(() => sources.ingest.callsUnpriced));
  counter(
    'genai_chargeback_calls_refused_total',
    'Calls DuckDB refused to store over their own data (a CHECK constraint, a value it cannot cast): rejected by partial success, or, acknowledged from the journal, kept in its quarantine.',
    [],
    one(() => sources.ingest.callsRefused),
  );
  counter('genai_chargeback_unallocated_cost_usd_total', 'Cost of stored calls without a team.', [], one(() => Number(sources.ingest.unallocatedCostNanos) / 1e9));
  gauge('genai_chargeback_traces_buffered', 'Traces waiting in the roll-up buffer.', [], one(() => sources.rollup.tracesBuffered));
  gauge('genai_chargeback_trace_buffer_bytes', 'Estimated bytes held by the roll-up buffer.', [], one(() => sources.rollup.bufferedBytes));
  counter('genai_chargeback_traces_evicted_total', 'Traces rolled up early because the buffer was full.', [], one(() => sources.rollup.counters.tracesEvicted));
  counter('genai_chargeback_late_spans_total', 'Spans that arrived after their trace was rolled up (its action was updated).', [], one(() => sources.rollup.counters.lateSpans));
  counter('genai_chargeback_actions_written_total', 'Action rows written by the roll-up.', [], one(() => sources.rollup.counters.actionsWritten));
  counter('genai_chargeback_action_write_failures_total', 'Roll-up writes that failed (retried, or split to find a trace whose row DuckDB refuses).', [], one(() => sources.rollup.counters.writeFailures));
  counter('genai_chargeback_actions_dropped_total', 'Traces whose action row DuckDB refused over its data: dropped, their calls kept in llm_calls.', [], one(() => sources.rollup.counters.actionsDropped));
  counter('genai_chargeback_actions_read_back_total', 'Action rows the roll-up computed by reading their calls back from the ledger (late spans, retried calls).', [], one(() => sources.rollup.counters.actionsReadBack));
  counter(
    'genai_chargeback_action_writes_total',
    'Roll-up writes, by which actions rows they searched for their traces\' existing ones: none (every trace surely new), recent (after a bound), all (a trace had no bound: a cost growing with the ledger).',
    ['search'],
    () => Object.entries(sources.rollup.counters.writesBySearch).map(([search, writes]): [Labels, number] => [{ search }, writes]),
  );
  counter('genai_chargeback_limits_rejected_spans_total', 'Spans rejected by a cap (limits section).', [], one(() => sources.limits.rejectedSpans));
  counter('genai_chargeback_limits_truncated_values_total', 'Values truncated to a cap (limits section).', [], one(() => sources.limits.truncatedValues));
  counter('genai_chargeback_team_claims_refused_total', 'Spans whose team their ingest token may not claim, by what was done.', ['action'], () => [
    [{ action: 'unallocated' }, sources.teamBinding.unallocated],
    [{ action: 'rejected' }, sources.teamBinding.rejected],
  ]);
  counter('genai_chargeback_auth_failures_total', 'Requests refused for a missing, malformed, unknown or insufficient bearer token.', ['reason'], () =>
    Object.entries(sources.authFailures).map(([reason, count]): [Labels, number] => [{ reason }, count]),
  );
  const memory = (read: (state: MemoryLimiterState) => number) => (): Array<[Labels, number]> => {
    const state = sources.memory();
    return state === null ? [] : [[{}, read(state)]];
  };
  gauge('genai_chargeback_memory_limit_bytes', 'The memory limiter\'s hard limit.', [], memory((s) => s.limitBytes));
  gauge('genai_chargeback_memory_soft_limit_bytes', 'Above this, new data is refused.', [], memory((s) => s.softLimitBytes));
  gauge('genai_chargeback_memory_used_bytes', 'V8 heap in use plus external buffers at the last check.', [], memory((s) => s.usedBytes));
  gauge('genai_chargeback_memory_limiter_refusing', '1 while new data is refused for memory.', [], memory((s) => (s.refusing ? 1 : 0)));
  counter('genai_chargeback_memory_limiter_refused_requests_total', 'Requests refused by the memory limiter.', [], memory((s) => s.refusedRequests));
  new Gauge({
    name: 'genai_chargeback_duckdb_memory_bytes',
    help: 'Memory DuckDB holds, by tag (buffer pool, indexes); bounded by DuckDB\'s own memory_limit, not by the memory limiter.',
    labelNames: ['tag'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { tag, bytes } of await sources.duckdbMemory()) this.set({ tag }, bytes);
      } catch (error) {
        // DuckDB at its memory_limit refuses even this read; one failed source must not fail the whole scrape.
        sources.onSourceError('duckdb_memory', error);
      }
    },
  });
  return registry;
}
