import type { Logger } from 'pino';
import type { Alert } from './alert.js';
import type { DeliveryResult } from './alert-store.js';
import { webhookBody, type WebhookFormat } from './webhook-body.js';

export interface Webhook {
  url: string;
  format: WebhookFormat;
  headers: Record<string, string>;
}

export interface DeliveryPolicy {
  /** Tries per alert, the first included. */
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** Alerts waiting for this webhook; beyond it an alert is not sent (it stays stored and logged). */
  queueSize: number;
}

/**
 * A webhook as logs and `alerts.delivery_error` name it: its place in the config and its host. The path and query
 * are left out because an incoming-webhook URL (Slack's, for one) is itself the secret that lets anyone post.
 */
export function webhookLabel(url: string, index: number): string {
  return `alerts.webhooks[${index}] (${new URL(url).origin})`;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

/**
 * Sends alerts to one webhook, one at a time in the order raised, each with retries and exponential back-off
 * (with jitter, honouring Retry-After). It runs beside ingest, never on its path: `enqueue` only queues, the
 * queue is bounded, and a webhook that is down only delays its own queue.
 */
export class WebhookSender {
  private readonly queue: Alert[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly inFlight = new AbortController();
  private wake: (() => void) | null = null;

  constructor(
    private readonly webhook: Webhook,
    /** How logs and the alerts table name this webhook (webhookLabel). */
    readonly label: string,
    private readonly policy: DeliveryPolicy,
    private readonly logger: Logger,
    private readonly settled: (alert: Alert, result: DeliveryResult) => void,
  ) {}

  /** false when the queue is full or the sender closed: the caller records the alert as not sent. */
  enqueue(alert: Alert): boolean {
    if (this.closed || this.queue.length >= this.policy.queueSize) return false;
    this.queue.push(alert);
    this.kick();
    return true;
  }

  /** Resolves when every queued alert has been settled (or the sender closed). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stops now: an alert in flight or waiting is left unsettled, so it stays `pending` and is sent at next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.inFlight.abort();
    this.wake?.();
    await this.idle();
  }

  private kick(): void {
    if (this.running !== null || this.closed || this.queue.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (let alert = this.queue.shift(); alert !== undefined && !this.closed; alert = this.queue.shift()) {
      const result = await this.deliver(alert);
      if (result !== null) this.settled(alert, result);
    }
  }

  private async deliver(alert: Alert): Promise<DeliveryResult | null> {
    const body = webhookBody(alert, this.webhook.format);
    let lastError = '';
    for (let attempt = 1; attempt <= this.policy.attempts; attempt += 1) {
      const outcome = await this.post(body);
      if (this.closed) return null;
      if (outcome.ok) return { delivered: true, attempts: attempt, error: null };
      lastError = outcome.error;
      if (!outcome.retry || attempt === this.policy.attempts) return { delivered: false, attempts: attempt, error: lastError };
      const delay = Math.max(this.backoff(attempt), Math.min(outcome.retryAfterMs ?? 0, this.policy.maxBackoffMs));
      this.logger.debug({ webhook: this.label, attempt, delayMs: delay, error: outcome.error }, 'alert webhook failed; retrying');
      await this.sleep(delay);
      if (this.closed) return null;
    }
    return { delivered: false, attempts: this.policy.attempts, error: lastError };
  }

  private async post(body: string): Promise<Attempt> {
    try {
      const response = await fetch(this.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.webhook.headers },
        body,
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(this.policy.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return { ok: true };
      // 408, 429 and 5xx are worth another try; any other answer will not change.
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      return { ok: false, retry, error: `HTTP ${response.status}`, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
      return { ok: false, retry: true, error: cause };
    }
  }

  /** Exponential with equal jitter: half the step fixed, half random, so many processors do not retry in step. */
  private backoff(attempt: number): number {
    const step = Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** (attempt - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
