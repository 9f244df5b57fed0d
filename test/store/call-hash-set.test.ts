import { describe, expect, it } from 'vitest';
import { CallHashSet } from '../../processor/src/store/call-hash-set.js';

describe('CallHashSet', () => {
  it('adds each hash once, 0 and the largest 52-bit value included', () => {
    const set = new CallHashSet(4);
    expect([0, 2 ** 52 - 1, 0, 2 ** 52 - 1, 1].map((hash) => set.add(hash))).toStrictEqual([true, true, false, false, true]);
    expect(set.size).toBe(3);
  });

  it('keeps every hash as it grows, hashes that share their low bits included', () => {
    const set = new CallHashSet(4);
    // Every one lands on the same slot of a 1,024-slot table: they must probe past each other.
    const sameSlot = Array.from({ length: 600 }, (_, n) => n * 1024 * 3 + 7);
    const random = Array.from({ length: 20_000 }, (_, n) => (n * 2_654_435_761 * 65_537) % 2 ** 52);
    const hashes = [...new Set([...sameSlot, ...random])];
    expect(hashes.every((hash) => set.add(hash))).toBe(true);
    expect(hashes.some((hash) => set.add(hash))).toBe(false);
    expect(set.size).toBe(hashes.length);
  });

  it('is empty after clear, and takes the same hashes again', () => {
    const set = new CallHashSet(4);
    for (let hash = 0; hash < 100; hash += 1) set.add(hash * 1_000_003);
    set.clear();
    expect(set.size).toBe(0);
    expect(set.add(0)).toBe(true);
    expect(set.add(99 * 1_000_003)).toBe(true);
    expect(set.size).toBe(2);
  });

  it('clear sizes the table for the hashes expected next, smaller or larger than the one it had', () => {
    const set = new CallHashSet();
    expect(set.byteLength).toBe(1_024 * 8);
    for (let hash = 0; hash < 5_000; hash += 1) set.add(hash * 7_919);
    // Grown by doubling to stay at most half full: 16,384 slots.
    expect(set.byteLength).toBe(16_384 * 8);
    // Sized for 600 with an eighth more room, at most half full, in steps of 1,024 slots: 2,048.
    set.clear(600);
    expect(set.byteLength).toBe(2_048 * 8);
    expect(set.size).toBe(0);
    set.clear(5_000);
    expect(set.byteLength).toBe(11_264 * 8);
    // Sized ahead, it holds them without growing, and each one once.
    for (let hash = 0; hash < 5_000; hash += 1) expect(set.add(hash * 7_919)).toBe(true);
    expect(set.add(7_919)).toBe(false);
    expect(set.byteLength).toBe(11_264 * 8);
    // Kept while at most a quarter larger than needed (9,216 slots for 4,000), replaced beyond.
    set.clear(4_000);
    expect(set.byteLength).toBe(11_264 * 8);
    set.clear(3_500);
    expect(set.byteLength).toBe(8_192 * 8);
    set.clear();
    expect(set.byteLength).toBe(1_024 * 8);
  });

  it('probes past the end of a table whose size is not a power of two', () => {
    const set = new CallHashSet();
    set.clear(5_000);
    // 1,500 hashes that all land on the last of 11,264 slots: they wrap around to the first ones (more than the
    // 1,024 slots a mask's wrap would cycle through).
    const lastSlot = Array.from({ length: 1_500 }, (_, n) => n * 11_264 + 11_263);
    expect(lastSlot.every((hash) => set.add(hash))).toBe(true);
    expect(lastSlot.some((hash) => set.add(hash))).toBe(false);
    expect(set.size).toBe(1_500);
    expect(set.byteLength).toBe(11_264 * 8);
  });
});
