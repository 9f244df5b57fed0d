const emptySlot = 0;
/** Tables grow by doubling but are sized, when cleared, in steps of this many slots (8 KiB). */
const slotStep = 1024;
/** Sized ahead for this much more than expected, so a bucket a little busier than the last does not double its table. */
const headroom = 1.125;

/**
 * A set of call hashes (integers below 2^52) in one `Float64Array`: open addressing, linear probing, at most half
 * full. Written by hand: mnemonist's typed-array sets take integers below a fixed capacity, not 52-bit hashes, and
 * a `Set<number>` holds each 52-bit hash as a heap number, hundreds of thousands of them live at ingest rate, each
 * one for the old-generation collector to mark. Nothing is ever removed (a bucket of keys is dropped whole), so there are no
 * tombstones; `clear` lets a dropped bucket's table serve the next one, resized to the size it is expected to hold.
 * Table sizes are not powers of two: fitted ones keep the recent call keys' memory in proportion to the keys (a
 * power of two doubled it for a bucket just over a boundary, 2 or 4 MiB for 125,000 or 135,000 keys).
 */
export class CallHashSet {
  private slots: Float64Array;
  private count = 0;

  constructor(slots = slotStep) {
    this.slots = new Float64Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the table, whatever it holds. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  /** Returns whether the hash was added (false when it was already there). */
  add(hash: number): boolean {
    // Stored plus one so that 0 can mark an empty slot; 2^52 is still exact in a double.
    const stored = hash + 1;
    const slots = this.slots;
    const length = slots.length;
    // The hash is the ids' random low bits: its remainder is a good index as it is.
    let index = hash % length;
    for (;;) {
      const slot = slots[index] as number;
      if (slot === stored) return false;
      if (slot === emptySlot) break;
      index = index + 1 === length ? 0 : index + 1;
    }
    slots[index] = stored;
    this.count += 1;
    if (this.count * 2 > length) this.grow();
    return true;
  }

  /**
   * Empties the set, its table sized for `expectedSize` hashes. A reused table kept at its size would only ever
   * grow: a busy 10-second bucket of recent call keys doubled a table, which then served every later bucket at that
   * size, so their memory followed the highest rate since start-up instead of the current one.
   */
  clear(expectedSize = 0): void {
    const fitted = slotsFor(expectedSize);
    // Up to a quarter larger is close enough: buckets differ a little from one to the next, and each new table is
    // an allocation of megabytes for the collector to free.
    if (this.slots.length >= fitted && this.slots.length <= fitted * 1.25) this.slots.fill(emptySlot);
    else this.slots = new Float64Array(fitted);
    this.count = 0;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.count = 0;
    for (const stored of old) {
      if (stored !== emptySlot) this.add(stored - 1);
    }
  }
}

/** A table for `size` hashes: at most half full, as `add` keeps it, with headroom, in whole steps. */
function slotsFor(size: number): number {
  return Math.max(slotStep, Math.ceil((size * 2 * headroom) / slotStep) * slotStep);
}
