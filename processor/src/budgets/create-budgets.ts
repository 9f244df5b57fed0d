import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { AlertCenter } from '../alerts/alert-center.js';
import type { Alert } from '../alerts/alert.js';
import { thresholdAlerts } from '../alerts/budget-thresholds.js';
import { readDaySpend, readTeamSpend } from '../alerts/ledger-signals.js';
import { spikeAlerts } from '../alerts/spend-spike.js';
import { unallocatedShareAlerts } from '../alerts/unallocated-share.js';
import { UnpricedModelAlerter } from '../alerts/unpriced-models.js';
import type { Config } from '../config/schema.js';
import type { StoredBatch, StoredBatchListener } from '../pipeline/ingest.js';
import { budgetsFromConfig } from './budget.js';
import { loadBudgetSpend } from './ledger-spend.js';
import { createBudgetRoutes } from './routes.js';
import { SpendTracker } from './spend.js';

export interface BudgetsDeps {
  db: DuckDBInstance;
  logger: Logger;
  /** The clock (tests move it across window boundaries). */
  now?: () => Date;
  /** How long `stop` lets webhook deliveries finish; what is left is sent at the next start. Default 2 s. */
  stopGraceMs?: number;
}

export interface Budgets {
  /** Add to the ingest pipeline: counts each stored batch's new calls and raises threshold/unpriced alerts. */
  listener: StoredBatchListener;
  /** Mount at /v1/budgets. */
  routes: Hono;
  alerts: AlertCenter;
  tracker: SpendTracker;
  /** Raises what is due now (thresholds already reached, e.g. lost to a crash) and starts the periodic checks. */
  start(): void;
  /** The periodic checks (spend spikes, unallocated share, thresholds), once; resolves when they are raised. */
  check(): Promise<void>;
  /** Stops the checks, lets deliveries finish briefly, closes the connections. Call before closing the DuckDB file. */
  stop(): Promise<void>;
}

/**
 * Budgets and alerts (issue 6): loads each budget's spend for its current window from the ledger, keeps it
 * current from the calls the pipeline stores, serves it over HTTP, and raises alerts.
 */
export async function createBudgets(config: Pick<Config, 'budgets' | 'alerts'>, deps: BudgetsDeps): Promise<Budgets> {
  const now = deps.now ?? (() => new Date());
  const budgets = budgetsFromConfig(config.budgets);
  const signals: DuckDBConnection = await deps.db.connect();
  const tracker = new SpendTracker(budgets, await loadBudgetSpend(signals, budgets, now()), now());
  const alerts = await AlertCenter.open(deps.db, config.alerts, { logger: deps.logger, now });

  const unpricedModels = await UnpricedModelAlerter.open(config.alerts.unpriced_models_per_day, now(), (kind, windowStart, since) =>
    alerts.countRaised(kind, windowStart, since),
  );

  const thresholdsDue = (at: Date): Alert[] => tracker.states(at).flatMap((state) => thresholdAlerts(state, at));

  const listener: StoredBatchListener = {
    onStored(batch: StoredBatch) {
      if (batch.inserted.length === 0) return;
      const at = now();
      const changed = new Set(tracker.record(batch.inserted, at).map((budget) => budget.name));
      const due = tracker
        .states(at)
        .filter((state) => changed.has(state.budget.name))
        .flatMap((state) => thresholdAlerts(state, at));
      if (config.alerts.unpriced_models) due.push(...unpricedModels.alerts(batch.inserted, at, (key) => alerts.wasRaised(key)));
      if (due.length > 0) alerts.raise(due);
    },
  };

  let checking: Promise<void> | null = null;
  const check = (): Promise<void> => {
    checking ??= (async () => {
      const at = now();
      const due = thresholdsDue(at);
      if (config.alerts.spike.enabled) due.push(...spikeAlerts(await readTeamSpend(signals, at), config.alerts.spike, at));
      if (config.alerts.unallocated.enabled) due.push(...unallocatedShareAlerts(await readDaySpend(signals, at), config.alerts.unallocated, at));
      alerts.raise(due);
    })()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'alert checks failed'))
      .finally(() => {
        checking = null;
      });
    return checking;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | null = null;
  return {
    listener,
    routes: createBudgetRoutes({ states: (at) => tracker.states(at), now }),
    alerts,
    tracker,
    start() {
      alerts.raise(thresholdsDue(now()));
      timer = setInterval(() => void check(), config.alerts.check_every);
      timer.unref();
    },
    check,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await checking;
        await alerts.close(deps.stopGraceMs);
        signals.closeSync();
      })();
      return stopped;
    },
  };
}
