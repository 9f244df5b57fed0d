/**
 * The roll-up's memory of the actions it wrote recently: per trace, a time its action row starts at or after, so
 * late spans find the row to replace without comparing every `trace_id` in `actions`.
 *
 * Invariant: every action written at or after `rememberedFrom` has its trace here. A trace not here got no action
 * since then; one here may have a newer write than the time kept (never an older one).
 *
 * A ring of `capacity` writes in typed arrays, allocated and touched whole at start-up, with an open-addressing
 * index. Written by hand because its memory must not grow as it fills: the `Map` of trace-id strings it replaces
 * took ~87 bytes a trace in V8's heap (measured at 100,000), reached its 100,000 traces only after ~15 minutes at
 * the soak's 100 traces a second, and grew V8's committed old space and RSS all that time. No library offers an
 * insertion-ordered map on preallocated memory (mnemonist's `LRUMap` keys a `Map`, its `LRUCache` an object).
 *
 * Keys are exact, not hashes, so a collision can never make a trace look unwritten or point at another trace's row:
 * 16-byte trace ids (32 hex characters, as the decoders give them) as four 32-bit words; any other id as its string
 * in a side map, for the rare sender that does not follow OTLP.
 */
export class WrittenActions {
  private readonly idWords: Uint32Array;
  private readonly rowsStartFromMs: Float64Array;
  private readonly writtenAtMs: Float64Array;
  private readonly hashes: Int32Array;
  private readonly slotState: Uint8Array;
  /** Ring slot + 1 of each write keyed by words (0: empty); linear probing, at most half full. */
  private readonly index: Int32Array;
  private readonly otherIds = new Map<string, number>();
  private readonly otherIdOfSlot = new Map<number, string>();
  /** The ring slot the next write takes; the oldest write when the ring has wrapped. */
  private nextSlot = 0;
  private rememberedFromMs: number;
  private readonly scratch = new Uint32Array(4);

  /** `nowMs`: from now on every write is remembered, until `capacity` later ones push it out. */
  constructor(
    private readonly capacity: number,
    nowMs: number,
  ) {
    this.rememberedFromMs = nowMs;
    this.idWords = new Uint32Array(capacity * 4);
    this.rowsStartFromMs = new Float64Array(capacity);
    this.writtenAtMs = new Float64Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.slotState = new Uint8Array(capacity);
    this.index = new Int32Array(2 ** Math.ceil(Math.log2(capacity * 2 + 1)));
    // Zero-filled memory is only mapped, not resident, until written: written now, the resident set is what it will
    // be when the ring is full, rather than creeping up over the first `capacity` writes.
    for (const array of [this.idWords, this.rowsStartFromMs, this.writtenAtMs, this.hashes, this.slotState, this.index]) array.fill(0);
  }

  /** Every action written since this time is remembered: a trace not remembered got none since then. */
  get rememberedFrom(): number {
    return this.rememberedFromMs;
  }

  has(traceId: string): boolean {
    return this.find(traceId) >= 0;
  }

  /** When the trace's action row was written recently: a time that row starts at or after. */
  rowsStartFrom(traceId: string): number | undefined {
    const slot = this.find(traceId);
    return slot < 0 ? undefined : this.rowsStartFromMs[slot];
  }

  /** `rowsStartFromMs`: the action rows of these traces, just written, start at or after it. */
  record(traceIds: Iterable<string>, rowsStartFromMs: number, nowMs: number): void {
    for (const traceId of traceIds) {
      // A trace written again keeps only its newest write; its older slot becomes a hole the ring reuses.
      const earlier = this.find(traceId);
      if (earlier >= 0) this.release(earlier);
      const slot = this.nextSlot;
      this.nextSlot = (slot + 1) % this.capacity;
      if (this.slotState[slot] !== free) {
        // Later writes of the same millisecond may be kept; earlier ones are all gone.
        this.rememberedFromMs = Math.max(this.rememberedFromMs, (this.writtenAtMs[slot] as number) + 1);
        this.release(slot);
      }
      this.store(slot, traceId);
      this.rowsStartFromMs[slot] = rowsStartFromMs;
      this.writtenAtMs[slot] = nowMs;
    }
  }

  private store(slot: number, traceId: string): void {
    if (!parseTraceId(traceId, this.idWords, slot * 4)) {
      this.slotState[slot] = otherKey;
      this.otherIds.set(traceId, slot);
      this.otherIdOfSlot.set(slot, traceId);
      return;
    }
    this.slotState[slot] = wordsKey;
    const hash = wordsHash(this.idWords, slot * 4);
    this.hashes[slot] = hash;
    const mask = this.index.length - 1;
    let position = hash & mask;
    while (this.index[position] !== 0) position = (position + 1) & mask;
    this.index[position] = slot + 1;
  }

  /** The ring slot of the trace's write, or -1. */
  private find(traceId: string): number {
    if (!parseTraceId(traceId, this.scratch, 0)) return this.otherIds.get(traceId) ?? -1;
    const words = this.idWords;
    const key = this.scratch;
    const w0 = key[0];
    const w1 = key[1];
    const w2 = key[2];
    const w3 = key[3];
    const mask = this.index.length - 1;
    for (let position = wordsHash(this.scratch, 0) & mask; ; position = (position + 1) & mask) {
      const entry = this.index[position] as number;
      if (entry === 0) return -1;
      const slot = entry - 1;
      const at = slot * 4;
      // Only word-keyed writes are indexed, and a released one leaves the index: the words alone decide.
      if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) return slot;
    }
  }

  /** Forgets the slot's write; out of the index by backward-shift deletion (no tombstones to slow later probes). */
  private release(slot: number): void {
    const state = this.slotState[slot];
    this.slotState[slot] = free;
    if (state === otherKey) {
      this.otherIds.delete(this.otherIdOfSlot.get(slot) as string);
      this.otherIdOfSlot.delete(slot);
      return;
    }
    const index = this.index;
    const mask = index.length - 1;
    let hole = (this.hashes[slot] as number) & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let position = (hole + 1) & mask; index[position] !== 0; position = (position + 1) & mask) {
      const home = (this.hashes[(index[position] as number) - 1] as number) & mask;
      // An entry may fill the hole unless its home lies after the hole, up to its own position (cyclically).
      const homeAfterHole = hole <= position ? hole < home && home <= position : hole < home || home <= position;
      if (homeAfterHole) continue;
      index[hole] = index[position] as number;
      hole = position;
    }
    index[hole] = 0;
  }
}

const free = 0;
const wordsKey = 1;
const otherKey = 2;

/** Parses a 32-character lowercase hex id into four words at `out[at]`; false for any other id. */
function parseTraceId(id: string, out: Uint32Array, at: number): boolean {
  if (id.length !== 32) return false;
  for (let word = 0; word < 4; word++) {
    let value = 0;
    for (let i = word * 8; i < word * 8 + 8; i++) {
      const digit = hexDigit(id.charCodeAt(i));
      if (digit < 0) return false;
      value = (value << 4) | digit;
    }
    out[at + word] = value;
  }
  return true;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * FNV-1a over the four words, then MurmurHash3's finalizer: SDK ids are random, but ids that differ only in a few
 * bits (counters) must spread over the index's low bits too.
 */
function wordsHash(words: Uint32Array, at: number): number {
  let hash = 0x811c9dc5;
  for (let i = at; i < at + 4; i++) hash = Math.imul(hash ^ (words[i] as number), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) & 0x7fffffff;
}
