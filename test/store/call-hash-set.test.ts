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
});
