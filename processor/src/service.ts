import type { Logger } from 'pino';
import { compileRules } from './attribution/resolve-attribution.js';
import { createBudgets, type Budgets } from './budgets/create-budgets.js';
import { checkpointThresholdMib, type Config } from './config/schema.js';
import { createForwarding, type Forwarding } from './forward/index.js';
import { createOperations } from './ops/operations.js';
import { ReportCatalog } from './reports/catalog.js';
import { createReportRoutes } from './reports/routes.js';
import { instanceReportRunner } from './reports/runner.js';
import { scheduleParquetSnapshots } from './store/parquet-snapshots.js';
import { IngestPipeline } from './pipeline/ingest.js';
import { NestedCallFilter } from './pipeline/nested-calls.js';
import { loadPriceBook, priceForLedger, type PriceBook } from './pricing/index.js';
import { createApp, ReceiverMetrics, serve, serveGrpc, type ReceiverApp, type RunningGrpcServer, type RunningHttpServer } from './receiver/index.js';
import { ActionStore } from './rollup/action-store.js';
import { RollupStage } from './rollup/rollup-stage.js';
import { TraceBuffer } from './rollup/trace-buffer.js';
import { openDatabase, type Database } from './store/database.js';
import { LedgerJournal } from './store/ledger-journal.js';
import { isDataError } from './store/duckdb-errors.js';
import { LedgerWriter } from './store/ledger-writer.js';
import { DailySpend } from './store/spend-daily.js';

const mib = 1024 * 1024;

export interface RunningService {
  config: Config;
  db: Database;
  app: ReceiverApp;
  http: RunningHttpServer;
  grpc: RunningGrpcServer;
  pipeline: IngestPipeline;
  rollup: RollupStage;
  budgets: Budgets;
  forwarding: Forwarding;
  priceBook: PriceBook;
  receiverMetrics: ReceiverMetrics;
  /** Graceful stop: no new requests, in-flight batches committed, buffered traces written, checkpoint. */
  stop(): Promise<void>;
}

/**
 * Assembles the processor (receive → normalize → attribute → price → store → roll up) on one DuckDB file.
 * Everything that can be refused (price files, the database) is opened before the ports are, so a bad
 * start-up never leaves a half-started service listening.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // Refuses a non-loopback host without tokens and reads token files before anything else opens.
  const ops = await createOperations(config, logger);
  const priceBook = await loadPriceBook(config.prices);
  const db = await openDatabase(config.storage.db, {
    memoryLimitMib: config.storage.memory_limit_mib,
    threads: config.storage.threads,
    checkpointThresholdMib: checkpointThresholdMib(config.storage),
  });
  const dailySpend = await DailySpend.open(db.connection);
  const writer = await LedgerWriter.open(db.instance, {
    maxBatchRows: config.storage.max_batch_rows,
    maxQueuedRows: config.storage.max_queued_spans,
    logger,
    nestedCalls: new NestedCallFilter(),
    dailySpend,
    ...(config.storage.ack === 'journal' ? { journal: LedgerJournal.open(`${config.storage.db}.journal`) } : {}),
  });
  const dailySpendRefresh = scheduleDailySpendRefresh(writer, dailySpend, logger);
  const rules = compileRules(config.attribution.rules);
  const pipeline = new IngestPipeline({ writer, priceCall: (request) => priceForLedger(priceBook, request), rules, logger });

  const actionStore = await ActionStore.open(db.instance);
  // Calls whose trace DuckDB cannot give an action row (it refuses a value of the row) must not keep the service
  // from starting on every restart: their calls are in the ledger, and the roll-up drops such a trace too.
  const recovered = await actionStore.recoverMissing().catch((error: unknown) => {
    if (!isDataError(error)) throw error;
    logger.error({ err: error }, 'recovering actions for calls left without one failed over their data; starting without them');
    return 0;
  });
  if (recovered > 0) logger.warn({ actions: recovered }, 'wrote incomplete actions for calls left without one by an earlier stop');
  const buffer = new TraceBuffer(
    { waitMs: config.rollup.wait, maxAgeMs: config.rollup.max_age, maxTraces: config.rollup.max_traces, maxBytes: config.rollup.max_buffer_mib * mib },
    Date.now(),
  );
  const rollup = new RollupStage(buffer, actionStore, rules, logger);
  pipeline.addListener(rollup);
  rollup.start(Math.max(50, Math.min(1_000, config.rollup.wait / 4)));

  const forwarding = createForwarding(config.forward, { db: db.instance, logger });
  pipeline.addListener(forwarding.stage);
  rollup.onActionsWritten(forwarding.onActionsWritten);
  rollup.onTracesWithoutAction(forwarding.onTracesWithoutAction);

  const budgets = await createBudgets(config, { db: db.instance, logger });
  pipeline.addListener(budgets.listener);

  const receiverMetrics = new ReceiverMetrics();
  const bodyLimitBytes = Math.round(config.receivers.http.body_limit_mib * mib);
  const app = createApp({ sink: pipeline, logger, bodyLimitBytes, metrics: receiverMetrics, forwardSignal: forwarding.forwardSignal, guard: ops.guard });
  ops.mount(app, { db, writer, pipeline, rollup, receiverMetrics, forwarding });
  app.route('/v1/budgets', budgets.routes);
  app.route('/v1/reports', createReportRoutes({ catalog: await ReportCatalog.load(), run: instanceReportRunner(db.instance), logger }));
  budgets.start();
  const parquet = config.storage.parquet;
  const snapshots = parquet === undefined ? null : scheduleParquetSnapshots({ instance: db.instance, dir: parquet.dir, everyMs: parquet.every, logger });
  const host = config.receivers.host;
  const http = await serve(app, { host, port: config.receivers.http.port });
  const grpc = await serveGrpc(
    { sink: pipeline, logger, bodyLimitBytes, metrics: receiverMetrics, forwardSignal: forwarding.forwardSignal, guard: ops.guard },
    { host, port: config.receivers.grpc.port },
  ).catch(async (error: unknown) => {
    await http.close();
    throw error;
  });

  let stopping: Promise<void> | null = null;
  return {
    config,
    db,
    app,
    http,
    grpc,
    pipeline,
    rollup,
    budgets,
    forwarding,
    priceBook,
    receiverMetrics,
    stop() {
      stopping ??= (async () => {
        ops.stop();
        await Promise.all([http.close(), grpc.close()]);
        await snapshots?.stop();
        await rollup.stop();
        await forwarding.shutdown(10_000);
        clearInterval(dailySpendRefresh);
        await writer.close();
        await budgets.stop();
        actionStore.close();
        await db.connection.run('CHECKPOINT');
        await db.close();
      })();
      return stopping;
    },
  };
}

/**
 * Recomputes one stale past day of the daily spend cache every few seconds, between the writer's commits (a
 * day's refresh holds commits back for its duration, so one at a time). A ledger written before the cache
 * existed is caught up at 720 days an hour; until then the reports read those days from `llm_calls`.
 */
function scheduleDailySpendRefresh(writer: LedgerWriter, dailySpend: DailySpend, logger: Logger): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    writer
      .runBetweenCommits((connection) => dailySpend.refresh(connection, new Date(), 1))
      .then(
        (days) => {
          if (days > 0) logger.debug({ days }, 'refreshed the daily spend cache');
        },
        (error: unknown) => logger.warn({ err: error }, 'daily spend refresh failed; the reports read those days from llm_calls'),
      )
      .finally(() => {
        running = false;
      });
  }, 5_000);
  timer.unref();
  return timer;
}
