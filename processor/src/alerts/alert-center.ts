import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { AlertsConfig } from '../config/schema.js';
import { alertKey, type Alert, type AlertKind } from './alert.js';
import { AlertStore, type DeliveryResult } from './alert-store.js';
import { alertPayload } from './webhook-body.js';
import { WebhookSender, webhookLabel } from './webhook-sender.js';

export interface AlertCenterDeps {
  logger: Logger;
  now: () => Date;
}

interface Unsettled {
  remaining: number;
  attempts: number;
  errors: string[];
}

/** Alerts stored but not sent before a stop are sent again at start when raised within this long. */
const resendWithinMs = 24 * 3_600_000;

/**
 * Where every alert goes: raised once per key (an in-memory set loaded from the `alerts` table, whose primary
 * key backs it), logged, stored, then sent to each webhook in the background. `raise` is synchronous and
 * only queues, so the ingest path never waits for DuckDB or a webhook.
 */
export class AlertCenter {
  private chain: Promise<void> = Promise.resolve();
  private readonly unsettled = new Map<string, Unsettled>();
  private readonly toStore: Alert[] = [];
  private readonly senders: WebhookSender[];
  private closed = false;

  private constructor(
    private readonly store: AlertStore,
    private readonly raised: Set<string>,
    config: AlertsConfig,
    private readonly deps: AlertCenterDeps,
  ) {
    const policy = {
      attempts: config.delivery.attempts,
      backoffMs: config.delivery.backoff,
      maxBackoffMs: config.delivery.max_backoff,
      timeoutMs: config.delivery.timeout,
      queueSize: config.delivery.queue,
    };
    this.senders = config.webhooks.map((webhook, index) => {
      const label = webhookLabel(webhook.url, index);
      return new WebhookSender(webhook, label, policy, deps.logger, (alert, result) => this.settle(alert, label, result));
    });
  }

  static async open(instance: DuckDBInstance, config: AlertsConfig, deps: AlertCenterDeps): Promise<AlertCenter> {
    const store = await AlertStore.open(instance);
    const center = new AlertCenter(store, await store.raisedKeys(), config, deps);
    if (center.senders.length > 0) {
      const pending = await store.pending(new Date(deps.now().getTime() - resendWithinMs));
      if (pending.length > 0) deps.logger.info({ alerts: pending.length }, 'sending alerts left unsent by the last stop');
      for (const alert of pending) center.send(alert);
    }
    return center;
  }

  wasRaised(key: string): boolean {
    return this.raised.has(key);
  }

  /** How many alerts of this kind and window were raised since `since` (the `alerts` table). */
  countRaised(kind: AlertKind, windowStart: Date, since: Date): Promise<number> {
    return this.store.countRaised(kind, windowStart, since);
  }

  /** Raises the alerts not raised before; returns those. Never waits. */
  raise(candidates: readonly Alert[]): Alert[] {
    if (this.closed) return [];
    const fresh = candidates.filter((alert) => {
      const key = alertKey(alert);
      if (this.raised.has(key)) return false;
      this.raised.add(key);
      return true;
    });
    for (const alert of fresh) this.deps.logger.warn({ alert: alertPayload(alert) }, `alert: ${alert.message}`);
    if (fresh.length > 0 && this.toStore.push(...fresh) === fresh.length) {
      // One transaction for everything raised until the write runs: an alert storm costs one commit.
      this.enqueueWrite(async () => {
        const added = await this.store.insertNew(this.toStore.splice(0), this.senders.length > 0 ? 'pending' : 'none');
        for (const alert of added) this.send(alert);
      });
    }
    return fresh;
  }

  /** Resolves once every raised alert is stored and every delivery has settled (tests, graceful stop). */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      await Promise.all(this.senders.map((sender) => sender.idle()));
      // Settling a delivery queues a write; once a round adds none, everything raised so far is done.
      if (chain === this.chain) return;
    }
  }

  /** Waits up to `graceMs` for deliveries, then stops; what is still unsent stays `pending` for the next start. */
  async close(graceMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.closed = true;
    await Promise.all(this.senders.map((sender) => sender.close()));
    await this.chain;
    this.store.close();
  }

  private send(alert: Alert): void {
    this.unsettled.set(alertKey(alert), { remaining: this.senders.length, attempts: 0, errors: [] });
    for (const sender of this.senders) {
      if (!sender.enqueue(alert)) this.settle(alert, sender.label, { delivered: false, attempts: 0, error: 'delivery queue full' });
    }
  }

  private settle(alert: Alert, webhook: string, result: DeliveryResult): void {
    const key = alertKey(alert);
    const entry = this.unsettled.get(key);
    if (entry === undefined) return;
    entry.remaining -= 1;
    entry.attempts += result.attempts;
    if (!result.delivered) {
      entry.errors.push(`${webhook}: ${result.error ?? 'failed'}`);
      this.deps.logger.error({ alert: key, webhook, attempts: result.attempts, error: result.error }, 'alert could not be delivered to a webhook');
    }
    if (entry.remaining > 0) return;
    this.unsettled.delete(key);
    const overall: DeliveryResult = {
      delivered: entry.errors.length === 0,
      attempts: entry.attempts,
      error: entry.errors.length === 0 ? null : entry.errors.join('; '),
    };
    this.enqueueWrite(() => this.store.recordDelivery(alert, overall, this.deps.now()));
  }

  /** One DuckDB connection, one statement at a time; a failed write is logged and the next still runs. */
  private enqueueWrite(write: () => Promise<void>): void {
    this.chain = this.chain.then(write).catch((error: unknown) => {
      this.deps.logger.error({ err: error }, 'could not write to the alerts table');
    });
  }
}
