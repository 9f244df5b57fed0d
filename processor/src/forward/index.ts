import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { ForwardExporterConfig } from '../config/schema.js';
import type { ActionsWrittenListener } from '../rollup/rollup-stage.js';
import { duckDbActionLookup } from './action-lookup.js';
import { Exporter } from './exporter.js';
import { ForwardingStage, type ForwardTarget } from './forwarding-stage.js';
import { ExporterMetrics, ForwardMetrics } from './metrics.js';
import { createSender, defaultName, exporterOptions, holdLimits } from './settings.js';
import { TraceHold } from './trace-hold.js';

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
  readonly onTracesWithoutAction: ActionsWrittenListener;
  readonly metrics: ForwardMetrics;
  /** Sends what is held and queued, within the deadline. After the roll-up stops, before the database closes. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** The `forward` config section as a pipeline stage (processor/src/forward/README.md). */
export function createForwarding(config: readonly ForwardExporterConfig[], deps: ForwardingDeps): Forwarding {
  const names = new Set<string>();
  const targets: ForwardTarget[] = config.map((exporterConfig, index) => {
    let name = exporterConfig.name ?? defaultName(exporterConfig);
    if (names.has(name)) name = `${name}#${index}`;
    names.add(name);
    const options = exporterOptions(exporterConfig, name);
    const hold = exporterConfig.mode === 'after-rollup' ? new TraceHold(holdLimits(exporterConfig)) : null;
    const exporter = new Exporter(options, createSender(exporterConfig), new ExporterMetrics(), deps.logger.child({ exporter: name }));
    return { exporter, hold };
  });
  const metered = targets.map(({ exporter, hold }) => ({
    name: exporter.options.name,
    metrics: exporter.metrics,
    queueCapacity: exporter.options.queue.maxSpans,
    queuedSpans: () => exporter.queuedSpans,
    heldSpans: () => hold?.spans ?? 0,
  }));
  const stage = new ForwardingStage(targets, duckDbActionLookup(deps.db), deps.logger);
  return {
    stage,
    onActionsWritten: stage.onActionsWritten,
    onTracesWithoutAction: stage.onTracesWithoutAction,
    metrics: new ForwardMetrics(metered),
    shutdown: (deadlineMs) => stage.shutdown(deadlineMs),
  };
}
