const emptySlot = 0;
const initialSlots = 1024;

/**
 * A set of call hashes (integers below 2^52) in one `Float64Array`: open addressing, linear probing, at most half
 * full. Written by hand: mnemonist's typed-array sets take integers below a fixed capacity, not 52-bit hashes, and
 * a `Set<number>` holds each 52-bit hash as a heap number, hundreds of thousands of them live at ingest rate, each
 * one for the old-generation collector to mark. Nothing is ever removed (a bucket of keys is dropped whole), so there are no
 * tombstones; `clear` lets a dropped bucket's table serve the next one without a new allocation.
 */
export class CallHashSet {
  private slots: Float64Array;
  private count = 0;

  constructor(slots = initialSlots) {
    this.slots = new Float64Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Returns whether the hash was added (false when it was already there). */
  add(hash: number): boolean {
    // Stored plus one so that 0 can mark an empty slot; 2^52 is still exact in a double.
    const stored = hash + 1;
    const slots = this.slots;
    const mask = slots.length - 1;
    // The low bits of the hash are the ids' random low bits: a good index as they are.
    let index = hash % slots.length;
    for (;;) {
      const slot = slots[index] as number;
      if (slot === stored) return false;
      if (slot === emptySlot) break;
      index = (index + 1) & mask;
    }
    slots[index] = stored;
    this.count += 1;
    if (this.count * 2 > slots.length) this.grow();
    return true;
  }

  clear(): void {
    this.slots.fill(emptySlot);
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
