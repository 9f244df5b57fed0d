import { diag } from '@opentelemetry/api';
import type { Attribution } from '../attribution/keys.js';
import type { FailMode } from './settings.js';
import { BUDGET_DIMENSIONS, projectScope, scopeKey, type BudgetDimension, type BudgetScope } from './scope.js';
import type { FetchStatus, ScopeStatus } from './status-client.js';

/** What the cache knows about a scope, right now, without any I/O. */
export type Lookup =
  | { state: 'allowed' }
  | { state: 'blocked'; budgets: { name: string; until: Date }[]; scope: BudgetScope }
  /** Never asked yet and the processor is not known to be down: the first calls of a new scope go ahead. */
  | { state: 'unknown' }
  | { state: 'unavailable'; reason: string };

export interface StatusCacheOptions {
  fetchStatus: FetchStatus;
  url: string;
  intervalMs: number;
  failMode: FailMode;
  /** A status older than this (its refreshes failed) no longer counts; default 3 intervals. */
  staleAfterMs?: number;
  /** Scopes unused for this long are no longer polled (their last status is kept); default 10 intervals, at least a minute. */
  idleAfterMs?: number;
  maxScopes?: number;
  /** Status requests in flight at once. */
  concurrency?: number;
  now?: () => number;
}

interface Entry {
  scope: BudgetScope;
  status: ScopeStatus | null;
  fetchedAt: number;
  attemptedAt: number;
  lastUsed: number;
  inFlight: boolean;
}

/**
 * The budget status of every scope this process has made calls in, kept fresh in the background. `lookup` is
 * what the call path uses: synchronous, no I/O. A scope seen for the first time is fetched at once (in the
 * background) and then with the others every interval. While the processor answers, a scope's last status
 * stands, however old (an idle scope's is fetched again at once when it is used); once the processor stops
 * answering, a status older than `staleAfterMs` no longer counts and the fail mode decides.
 */
export class BudgetStatusCache {
  private entries = new Map<string, Entry>();
  private dimensions: readonly BudgetDimension[] = BUDGET_DIMENSIONS;
  private readonly soon = new Set<string>();
  private soonTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | null = null;
  private unreachable: string | null = null;
  private readonly staleAfterMs: number;
  private readonly idleAfterMs: number;
  private readonly maxScopes: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  constructor(private readonly options: StatusCacheOptions) {
    this.staleAfterMs = options.staleAfterMs ?? 3 * options.intervalMs;
    this.idleAfterMs = options.idleAfterMs ?? Math.max(10 * options.intervalMs, 60_000);
    this.maxScopes = options.maxScopes ?? 1_000;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
  }

  lookup(attribution: Attribution): Lookup {
    const now = this.now();
    const scope = projectScope(attribution, this.dimensions);
    const key = scopeKey(scope);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { scope, status: null, fetchedAt: 0, attemptedAt: 0, lastUsed: now, inFlight: false };
      this.entries.set(key, entry);
      this.evictOverflow();
    }
    entry.lastUsed = now;
    const fresh = entry.status !== null && now - entry.fetchedAt <= this.staleAfterMs;
    if (!fresh && now - entry.attemptedAt >= this.options.intervalMs) this.fetchSoon(key);
    if (entry.status !== null && (fresh || this.unreachable === null)) {
      const blocking = entry.status.blockedBy.filter((budget) => budget.until.getTime() > now);
      return blocking.length === 0 ? { state: 'allowed' } : { state: 'blocked', budgets: blocking, scope: entry.scope };
    }
    if (entry.status === null && this.unreachable === null) return { state: 'unknown' };
    return { state: 'unavailable', reason: this.unreachable ?? 'no status yet' };
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    this.timer = undefined;
    this.soonTimer = undefined;
  }

  /** Fetches the status of every scope in use; resolves when done (a refresh already running is joined). */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetchAll([...this.entries.keys()]).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchAll(keys: string[]): Promise<void> {
    const now = this.now();
    const queue = keys.filter((key) => {
      const entry = this.entries.get(key);
      return entry !== undefined && now - entry.lastUsed <= this.idleAfterMs;
    });
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) await this.fetchOne(key);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
  }

  private async fetchOne(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.inFlight) return;
    entry.inFlight = true;
    entry.attemptedAt = this.now();
    try {
      const status = await this.options.fetchStatus(entry.scope);
      entry.status = status;
      entry.fetchedAt = this.now();
      this.reachable();
      this.useDimensions(status.blockDimensions);
    } catch (error) {
      this.failed(error instanceof Error ? error.message : String(error));
    } finally {
      entry.inFlight = false;
    }
  }

  private fetchSoon(key: string): void {
    this.soon.add(key);
    if (this.soonTimer !== undefined) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      const keys = [...this.soon];
      this.soon.clear();
      void this.fetchAll(keys);
    }, 0);
    this.soonTimer.unref();
  }

  /**
   * The processor says which dimensions its block budgets use; keying on those alone means one request per
   * team rather than per team × customer. Entries are re-keyed and fetched again under the new key.
   */
  private useDimensions(dimensions: BudgetDimension[]): void {
    if (dimensions.length === this.dimensions.length && dimensions.every((d, i) => d === this.dimensions[i])) return;
    this.dimensions = dimensions;
    const rekeyed = new Map<string, Entry>();
    for (const entry of this.entries.values()) {
      const scope = projectScope(entry.scope, dimensions);
      const key = scopeKey(scope);
      const existing = rekeyed.get(key);
      if (existing === undefined || entry.lastUsed > existing.lastUsed) rekeyed.set(key, { ...entry, scope, inFlight: false });
      this.fetchSoon(key);
    }
    this.entries = rekeyed;
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxScopes) {
      let oldest: [string, number] | undefined;
      for (const [key, entry] of this.entries) if (oldest === undefined || entry.lastUsed < oldest[1]) oldest = [key, entry.lastUsed];
      if (oldest === undefined) return;
      this.entries.delete(oldest[0]);
    }
  }

  private failed(reason: string): void {
    if (this.unreachable === null) {
      const consequence =
        this.options.failMode === 'open'
          ? 'failing open: model calls go ahead unchecked'
          : 'failing closed: model calls are refused with BudgetStatusUnavailableError';
      diag.warn(`@genai-chargeback/instrumentation: budget status from ${this.options.url} unavailable (${reason}); ${consequence} once the last status is older than ${this.staleAfterMs} ms`);
    }
    this.unreachable = reason;
  }

  private reachable(): void {
    if (this.unreachable !== null) diag.info(`@genai-chargeback/instrumentation: budget status from ${this.options.url} available again`);
    this.unreachable = null;
  }
}
