export interface CallKey {
  trace_id: string;
  span_id: string;
  start_time: Date;
}

export interface RecentCallKeysOptions {
  /** How far back, by span start time, keys are kept. */
  windowMs: number;
  /** Keys kept at most; over it the oldest buckets go first and the window shrinks. */
  maxKeys: number;
}

const bucketMs = 10_000;
const twoPow52 = 2 ** 52;

/**
 * Which calls the ledger surely does not hold yet, answered from memory so the writer can skip the anti-join
 * against `llm_calls` for them. Kept for calls that started in the last `windowMs` (a retry or a replayed batch
 * carries the original start time), as 52-bit hashes of (trace_id, span_id) in 10-second buckets.
 *
 * Invariant: every ledger row that started at or after `coveredFromMs` has its hash here. So a call in that
 * range whose hash is absent is new for certain; anything else (a hash present, which may be a collision, or a
 * start before the covered range) is only "maybe" and the writer asks DuckDB. A hash never proves presence,
 * so a collision costs a lookup, never a lost call.
 */
export class RecentCallKeys {
  private readonly buckets = new Map<number, Set<number>>();
  private keys = 0;

  constructor(
    private readonly options: RecentCallKeysOptions,
    private coveredFromMs: number,
  ) {}

  get size(): number {
    return this.keys;
  }

  /**
   * True when the ledger surely lacks this call; `add` it before another group can be staged. A group that then
   * fails leaves its hashes here: an extra hash only costs its call's retry a lookup.
   */
  isSurelyNew(call: CallKey): boolean {
    const start = call.start_time.getTime();
    if (start < this.coveredFromMs) return false;
    const hash = callHash(call);
    if (hash === null) return false;
    return !(this.buckets.get(Math.floor(start / bucketMs))?.has(hash) ?? false);
  }

  add(calls: Iterable<CallKey>): void {
    for (const call of calls) {
      const hash = callHash(call);
      if (hash !== null) this.addHash(call.start_time.getTime(), hash);
    }
  }

  /**
   * At start-up, from the ledger: the newest calls of the window, hashed in SQL (`callHashSql`; NULL for a malformed
   * id). When `maxKeys` of them were loaded there may be more: only the buckets after the oldest loaded call's are whole.
   */
  static fromLedger(
    options: RecentCallKeysOptions,
    nowMs: number,
    loaded: { hashes: ReadonlyArray<number | null>; startsMs: readonly number[] },
  ): RecentCallKeys {
    let coveredFromMs = nowMs - options.windowMs;
    const oldestMs = loaded.startsMs.reduce((min, start) => Math.min(min, start), Infinity);
    if (loaded.startsMs.length >= options.maxKeys) coveredFromMs = Math.max(coveredFromMs, (Math.floor(oldestMs / bucketMs) + 1) * bucketMs);
    const keys = new RecentCallKeys(options, coveredFromMs);
    loaded.hashes.forEach((hash, i) => {
      if (hash !== null) keys.addHash(loaded.startsMs[i] as number, hash);
    });
    keys.evict(nowMs);
    return keys;
  }

  private addHash(startMs: number, hash: number): void {
    if (startMs < this.coveredFromMs) return;
    const index = Math.floor(startMs / bucketMs);
    let bucket = this.buckets.get(index);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(index, bucket);
    }
    const before = bucket.size;
    bucket.add(hash);
    this.keys += bucket.size - before;
  }

  /** Drops buckets older than the window, then the oldest while over `maxKeys`; the covered range starts after them. */
  evict(nowMs: number): void {
    const oldestKept = Math.floor((nowMs - this.options.windowMs) / bucketMs);
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      if (index >= oldestKept && this.keys <= this.options.maxKeys) break;
      this.keys -= (this.buckets.get(index) as Set<number>).size;
      this.buckets.delete(index);
      this.coveredFromMs = Math.max(this.coveredFromMs, (index + 1) * bucketMs);
    }
    this.coveredFromMs = Math.max(this.coveredFromMs, oldestKept * bucketMs);
  }
}

const hexDigits = /^[0-9a-fA-F]+$/;

/**
 * 52 bits from the ids' last hex digits, exact in a double (so a Set<number> holds it without hashing strings).
 * Ids are random bits by the W3C trace-context rules; a malformed one (not hex) gets no hash and is always checked.
 * `callHashSql` computes the same in DuckDB: the two must agree for every id, malformed ones included.
 */
export function callHash(call: Pick<CallKey, 'trace_id' | 'span_id'>): number | null {
  const span = call.span_id.slice(-13);
  const trace = call.trace_id.slice(-13);
  if (!hexDigits.test(span) || !hexDigits.test(trace)) return null;
  return (parseInt(span, 16) + parseInt(trace, 16)) % twoPow52;
}

/** `callHash` over llm_calls columns: a DOUBLE, NULL for a malformed id (the regex keeps out what a cast would accept, like `_`). */
export const callHashSql = `CASE WHEN regexp_full_match(right(span_id, 13), '[0-9a-fA-F]+') AND regexp_full_match(right(trace_id, 13), '[0-9a-fA-F]+')
  THEN ((('0x' || right(span_id, 13))::UBIGINT + ('0x' || right(trace_id, 13))::UBIGINT) % ${twoPow52})::DOUBLE END`;
