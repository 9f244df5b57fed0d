import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RetryableError } from '../pipeline/trace-sink.js';
import type { MemoryLimitConfig } from './memory-limit-config.js';

const mib = 1024 * 1024;

/** Bytes the limiter watches: the V8 heap in use plus external buffers (request bodies, DuckDB chunks). */
export function heapAndExternal(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export interface MemoryLimiterOptions {
  limitBytes: number;
  spikeBytes: number;
  checkIntervalMs: number;
  /** Seconds clients are told to wait while refused. */
  retryAfterSeconds?: number;
  sample?: () => number;
  /** A full collection; the limiter runs it before deciding to refuse, so garbage alone never refuses data. */
  collectGarbage?: (() => void) | null;
}

export interface MemoryLimiterState {
  limitBytes: number;
  softLimitBytes: number;
  usedBytes: number;
  refusing: boolean;
  refusedRequests: number;
  forcedCollections: number;
}

/**
 * The Collector's memory_limiter for this process: above the soft limit (limit − spike) new data is refused
 * with a retryable error until usage falls below it again. Sampling runs on a timer, so a request costs one
 * flag check. Before refusing, a full GC runs (at most once a second): what counts is memory still in use.
 */
export class MemoryLimiter {
  private usedBytes = 0;
  private refusing = false;
  private refusedRequests = 0;
  private forcedCollections = 0;
  private lastCollection = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly softLimitBytes: number;
  private readonly sample: () => number;
  private readonly collectGarbage: (() => void) | null;

  constructor(private readonly options: MemoryLimiterOptions) {
    this.softLimitBytes = options.limitBytes - options.spikeBytes;
    this.sample = options.sample ?? heapAndExternal;
    this.collectGarbage = options.collectGarbage === undefined ? exposedGc() : options.collectGarbage;
  }

  static fromConfig(config: MemoryLimitConfig): MemoryLimiter | null {
    const limitMib = config.limit_mib ?? Math.floor((getHeapStatistics().heap_size_limit / mib) * 0.8);
    if (limitMib === 0) return null;
    const spikeMib = config.spike_limit_mib ?? limitMib * 0.2;
    return new MemoryLimiter({ limitBytes: limitMib * mib, spikeBytes: spikeMib * mib, checkIntervalMs: config.check_interval });
  }

  start(): void {
    this.check();
    this.timer ??= setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Samples usage and updates the verdict; the timer calls it, tests may too. */
  check(now = Date.now()): void {
    this.usedBytes = this.sample();
    if (this.usedBytes > this.softLimitBytes && this.collectGarbage !== null && now - this.lastCollection >= 1_000) {
      this.lastCollection = now;
      this.forcedCollections++;
      this.collectGarbage();
      this.usedBytes = this.sample();
    }
    this.refusing = this.usedBytes > this.softLimitBytes;
  }

  get isRefusing(): boolean {
    return this.refusing;
  }

  /** Throws the retryable refusal while over the soft limit. */
  admit(): void {
    if (!this.refusing) return;
    this.refusedRequests++;
    throw new RetryableError(
      `memory limit reached (${Math.round(this.usedBytes / mib)} MiB in use, soft limit ${Math.round(this.softLimitBytes / mib)} MiB); retry later`,
      this.options.retryAfterSeconds ?? 2,
      503,
    );
  }

  state(): MemoryLimiterState {
    return {
      limitBytes: this.options.limitBytes,
      softLimitBytes: this.softLimitBytes,
      usedBytes: this.usedBytes,
      refusing: this.refusing,
      refusedRequests: this.refusedRequests,
      forcedCollections: this.forcedCollections,
    };
  }
}

/** `gc()` without starting Node with --expose-gc: the flag is set at run time and the function read from a fresh context. */
function exposedGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
