import { CallHashSet } from './call-hash-set.js';

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
  /** Calls that start this far ahead of the clock or more (a client's clock is wrong) are kept apart (default 1 hour). */
  aheadMs?: number;
  /** Keys kept at most for those calls; over it the furthest go first (default maxKeys / 20). */
  maxAheadKeys?: number;
}

const bucketMs = 10_000;
const twoPow52 = 2 ** 52;
/** Dropped buckets' tables kept to serve new buckets: one bucket starts and one goes every 10 seconds. */
const spareTablesKept = 2;

/**
 * Which calls the ledger surely does not hold yet, answered from memory so the writer can skip the anti-join
 * against `llm_calls` for them. Kept for calls that started in the last `windowMs` (a retry or a replayed batch
 * carries the original start time), as 52-bit hashes of (trace_id, span_id) in 10-second buckets.
 *
 * Invariant: every ledger row that started in [`coveredFromMs`, `coveredUntilMs`) has its hash here. So a call in
 * that range whose hash is absent is new for certain; anything else (a hash present, which may be a collision, or a
 * start outside the covered range) is only "maybe" and the writer asks DuckDB. A hash never proves presence, so a
 * collision costs a lookup, never a lost call.
 *
 * Calls that start `aheadMs` or more after the clock are held apart, under their own cap: a client whose clock is
 * years ahead must neither push today's keys out (every call would then be looked up) nor spend a bucket per
 * call without bound. They join the ordinary buckets as the clock reaches them. Dropping some of them, past their
 * cap, ends the covered range at the earliest dropped one, until a restart reloads them.
 */
export class RecentCallKeys {
  private readonly buckets = new Map<number, CallHashSet>();
  private keys = 0;
  private readonly aheadBuckets = new Map<number, CallHashSet>();
  /** Tables of dropped buckets, reused so that steady ingest allocates no new ones (and RSS stays level). */
  private readonly spareTables: CallHashSet[] = [];
  private aheadKeys = 0;
  /** Buckets from this index on are kept apart; moved by `evict`. */
  private aheadFromIndex: number;
  private coveredUntilMs = Infinity;

  constructor(
    private readonly options: RecentCallKeysOptions,
    private coveredFromMs: number,
    nowMs = Date.now(),
  ) {
    this.aheadFromIndex = aheadIndex(options, nowMs);
  }

  get size(): number {
    return this.keys + this.aheadKeys;
  }

  /** Bytes of the hash tables, the spare ones included. */
  get tableBytes(): number {
    let bytes = 0;
    for (const table of [...this.buckets.values(), ...this.aheadBuckets.values(), ...this.spareTables]) bytes += table.byteLength;
    return bytes;
  }

  /**
   * True when the ledger surely lacks this call, which is then recorded, so its next copy is looked up. Staging
   * claims each call of a group before the next group is staged; a group that then fails leaves its hashes here,
   * and an extra hash only costs its call's retry a lookup. One hash of the ids for both (judging and recording
   * apart hashed them twice, ~2% of ingest's JavaScript time when every span is a call). `hash`: the call's
   * `callHash`, when the caller has it already.
   */
  claimIfNew(call: CallKey, hash = callHash(call)): boolean {
    if (hash === null || !this.addHash(call.start_time.getTime(), hash)) return false;
    this.capAhead();
    return true;
  }

  add(calls: Iterable<CallKey>): void {
    for (const call of calls) {
      const hash = callHash(call);
      if (hash !== null) this.addHash(call.start_time.getTime(), hash);
    }
    this.capAhead();
  }

  /**
   * At start-up, from the ledger: the newest calls of the window and the earliest of those ahead of the clock,
   * hashed in SQL (`callHashSql`; NULL for a malformed id). When a cap's worth of either was loaded there may be
   * more: only the buckets the loaded calls cover whole are vouched for.
   */
  static fromLedger(
    options: RecentCallKeysOptions,
    nowMs: number,
    recent: LoadedKeys,
    ahead: LoadedKeys = { hashes: [], startsMs: [] },
  ): RecentCallKeys {
    let coveredFromMs = nowMs - options.windowMs;
    if (recent.startsMs.length >= options.maxKeys) {
      const oldestMs = recent.startsMs.reduce((min, start) => Math.min(min, start), Infinity);
      coveredFromMs = Math.max(coveredFromMs, (Math.floor(oldestMs / bucketMs) + 1) * bucketMs);
    }
    const keys = new RecentCallKeys(options, coveredFromMs, nowMs);
    if (ahead.startsMs.length >= RecentCallKeys.maxAheadKeys(options)) {
      const latestMs = ahead.startsMs.reduce((max, start) => Math.max(max, start), -Infinity);
      keys.coveredUntilMs = Math.floor(latestMs / bucketMs) * bucketMs;
    }
    for (const loaded of [recent, ahead]) {
      loaded.hashes.forEach((hash, i) => {
        if (hash !== null) keys.addHash(loaded.startsMs[i] as number, hash);
      });
    }
    keys.evict(nowMs);
    return keys;
  }

  /** The first start time, from `nowMs`, whose calls are kept apart as ahead of the clock. */
  static aheadFromMs(options: RecentCallKeysOptions, nowMs: number): number {
    return aheadIndex(options, nowMs) * bucketMs;
  }

  static maxAheadKeys(options: RecentCallKeysOptions): number {
    return options.maxAheadKeys ?? Math.ceil(options.maxKeys / 20);
  }

  /** Returns whether the hash was added: in the covered range and not there yet. */
  private addHash(startMs: number, hash: number): boolean {
    if (startMs < this.coveredFromMs || startMs >= this.coveredUntilMs) return false;
    const index = Math.floor(startMs / bucketMs);
    const ahead = index >= this.aheadFromIndex;
    const buckets = ahead ? this.aheadBuckets : this.buckets;
    let bucket = buckets.get(index);
    if (bucket === undefined) {
      bucket = this.spareTables.pop() ?? new CallHashSet();
      buckets.set(index, bucket);
    }
    if (!bucket.add(hash)) return false;
    if (ahead) this.aheadKeys += 1;
    else this.keys += 1;
    return true;
  }

  /** Past their cap, drops the furthest calls ahead of the clock (to 90% of it, so this runs seldom); the covered range ends before them. */
  private capAhead(): void {
    const maxAheadKeys = RecentCallKeys.maxAheadKeys(this.options);
    if (this.aheadKeys <= maxAheadKeys) return;
    const indexes = [...this.aheadBuckets.keys()].sort((a, b) => b - a);
    for (const index of indexes) {
      if (this.aheadKeys <= maxAheadKeys * 0.9) break;
      this.aheadKeys -= this.drop(this.aheadBuckets, index);
      this.coveredUntilMs = Math.min(this.coveredUntilMs, index * bucketMs);
    }
  }

  /**
   * Moves the calls the clock has reached into the ordinary buckets, drops buckets older than the window, then
   * the oldest while over `maxKeys`; the covered range starts after them.
   */
  evict(nowMs: number): void {
    const aheadFromIndex = Math.max(this.aheadFromIndex, aheadIndex(this.options, nowMs));
    if (aheadFromIndex > this.aheadFromIndex) {
      this.aheadFromIndex = aheadFromIndex;
      for (const [index, bucket] of this.aheadBuckets) {
        if (index >= aheadFromIndex) continue;
        this.aheadBuckets.delete(index);
        this.aheadKeys -= bucket.size;
        this.buckets.set(index, bucket);
        this.keys += bucket.size;
      }
    }
    const oldestKept = Math.floor((nowMs - this.options.windowMs) / bucketMs);
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      if (index >= oldestKept && this.keys <= this.options.maxKeys) break;
      this.keys -= this.drop(this.buckets, index);
      this.coveredFromMs = Math.max(this.coveredFromMs, (index + 1) * bucketMs);
    }
    this.coveredFromMs = Math.max(this.coveredFromMs, oldestKept * bucketMs);
  }

  /**
   * Removes a bucket, keeps its table for a later one, and returns how many keys it held. The table is sized for
   * as many keys as it held: the next bucket's 10 seconds will most likely bring as many.
   */
  private drop(buckets: Map<number, CallHashSet>, index: number): number {
    const bucket = buckets.get(index) as CallHashSet;
    buckets.delete(index);
    const keys = bucket.size;
    if (this.spareTables.length < spareTablesKept) {
      bucket.clear(keys);
      this.spareTables.push(bucket);
    }
    return keys;
  }
}

/** Index of the first bucket kept apart as ahead of the clock at `nowMs`: the one after `aheadMs` from now. */
function aheadIndex(options: RecentCallKeysOptions, nowMs: number): number {
  return Math.floor((nowMs + (options.aheadMs ?? 3_600_000)) / bucketMs) + 1;
}

interface LoadedKeys {
  hashes: ReadonlyArray<number | null>;
  startsMs: readonly number[];
}

/**
 * 52 bits from the ids' last hex digits, exact in a double (so a table of doubles holds it without hashing strings).
 * Ids are random bits by the W3C trace-context rules; a malformed one (not hex) gets no hash and is always checked.
 * `callHashSql` computes the same in DuckDB: the two must agree for every id, malformed ones included.
 */
export function callHash(call: Pick<CallKey, 'trace_id' | 'span_id'>): number | null {
  const span = hexTail(call.span_id);
  const trace = hexTail(call.trace_id);
  if (span < 0 || trace < 0) return null;
  return (span + trace) % twoPow52;
}

/**
 * The value of an id's last 13 characters read as hex, or -1 when one is not a hex digit or the id is empty. By
 * character codes: slicing, a regular expression and `parseInt` took twice as long, once per call at ingest rate.
 */
function hexTail(id: string): number {
  const end = id.length;
  if (end === 0) return -1;
  let value = 0;
  for (let i = Math.max(0, end - 13); i < end; i++) {
    const digit = hexDigitValue(id.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function hexDigitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** `callHash` over llm_calls columns: a DOUBLE, NULL for a malformed id (the regex keeps out what a cast would accept, like `_`). */
export const callHashSql = `CASE WHEN regexp_full_match(right(span_id, 13), '[0-9a-fA-F]+') AND regexp_full_match(right(trace_id, 13), '[0-9a-fA-F]+')
  THEN ((('0x' || right(span_id, 13))::UBIGINT + ('0x' || right(trace_id, 13))::UBIGINT) % ${twoPow52})::DOUBLE END`;
