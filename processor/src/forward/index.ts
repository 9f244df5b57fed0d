import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { ForwardExporterConfig } from '../config/schema.js';
import type { OtlpSignal } from '../otlp/index.js';
import type { ActionsWrittenListener, TracesWithoutActionListener } from '../rollup/rollup-stage.js';
import { duckDbActionLookup } from './action-lookup.js';
import { Exporter } from './exporter.js';
import { ForwardingStage, type ForwardTarget } from './forwarding-stage.js';
import { ExporterMetrics, ForwardMetrics, type MeteredExporter } from './metrics.js';
import { passThrough, type ForwardSignal } from './pass-through.js';
import { createSender, defaultName, exporterOptions, holdLimits } from './settings.js';
import { TraceHold } from './trace-hold.js';

export type { ForwardSignal, PassThroughSignal } from './pass-through.js';

export interface ForwardingDeps {
  /** The ledger's database: after-rollup reads the `actions` rows from it. */
  db: DuckDBInstance;
  logger: Logger;
}

export interface Forwarding {
  /** Add to the ingest pipeline (`pipeline.addListener`). */
  readonly stage: ForwardingStage;
  /** Register with `rollup.onActionsWritten`. */
  readonly onActionsWritten: ActionsWrittenListener;
  /** Register with `rollup.onTracesWithoutAction`. */
  readonly onTracesWithoutAction: TracesWithoutActionListener;
  /** Give to the receivers (`forwardSignal` of createApp and serveGrpc): logs and metrics requests, passed on. */
  readonly forwardSignal: ForwardSignal;
  readonly metrics: ForwardMetrics;
  /** Sends what is held and queued, within the deadline. After the roll-up stops, before the database closes. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** The `forward` config section as a pipeline stage plus a pass-through for logs and metrics (README.md). */
export function createForwarding(config: readonly ForwardExporterConfig[], deps: ForwardingDeps): Forwarding {
  const names = new Set<string>();
  const passThroughExporters = { logs: [] as Exporter[], metrics: [] as Exporter[] };
  const metered: MeteredExporter[] = [];
  const targets: ForwardTarget[] = [];
  for (const [index, exporterConfig] of config.entries()) {
    let name = exporterConfig.name ?? defaultName(exporterConfig);
    if (names.has(name)) name = `${name}#${index}`;
    names.add(name);
    const logger = deps.logger.child({ exporter: name });
    const exporterFor = (signal: OtlpSignal): Exporter | null => {
      const sender = createSender(exporterConfig, signal);
      return sender === null ? null : new Exporter(exporterOptions(exporterConfig, name, signal), sender, new ExporterMetrics(), logger);
    };
    // Every exporter takes spans (the config requires endpoint or traces_endpoint).
    const spans = exporterFor('traces')!;
    const hold = exporterConfig.mode === 'after-rollup' ? new TraceHold(holdLimits(exporterConfig)) : null;
    targets.push({ exporter: spans, hold });
    const logs = exporterFor('logs');
    const metrics = exporterFor('metrics');
    if (logs !== null) passThroughExporters.logs.push(logs);
    if (metrics !== null) passThroughExporters.metrics.push(metrics);
    metered.push({
      name,
      metrics: spans.metrics,
      queueCapacity: spans.options.queue.maxItems,
      queuedSpans: () => spans.queuedItems,
      heldSpans: () => hold?.spans ?? 0,
      logs: logs?.metrics ?? null,
      metricPoints: metrics?.metrics ?? null,
    });
  }
  const stage = new ForwardingStage(targets, duckDbActionLookup(deps.db), deps.logger);
  const passedThrough = [...passThroughExporters.logs, ...passThroughExporters.metrics];
  return {
    stage,
    onActionsWritten: stage.onActionsWritten,
    onTracesWithoutAction: stage.onTracesWithoutAction,
    forwardSignal: passThrough(passThroughExporters),
    metrics: new ForwardMetrics(metered),
    async shutdown(deadlineMs) {
      await Promise.all([stage.shutdown(deadlineMs), ...passedThrough.map((exporter) => exporter.shutdown(deadlineMs))]);
    },
  };
}
