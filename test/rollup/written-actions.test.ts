import { describe, expect, it } from 'vitest';
import { WrittenActions } from '../../processor/src/rollup/written-actions.js';

/** The same memory as a plain list searched end to end: what the ring and its index must answer. */
class ListedWrites {
  private readonly slots: Array<{ traceId: string; rowsStartFromMs: number; writtenAtMs: number } | null>;
  private next = 0;
  rememberedFrom: number;

  constructor(capacity: number, nowMs: number) {
    this.slots = Array.from({ length: capacity }, () => null);
    this.rememberedFrom = nowMs;
  }

  rowsStartFrom(traceId: string): number | undefined {
    return this.slots.find((slot) => slot?.traceId === traceId)?.rowsStartFromMs;
  }

  record(traceIds: string[], rowsStartFromMs: number, nowMs: number): void {
    for (const traceId of traceIds) {
      const earlier = this.slots.findIndex((slot) => slot?.traceId === traceId);
      if (earlier >= 0) this.slots[earlier] = null;
      const evicted = this.slots[this.next];
      if (evicted) this.rememberedFrom = Math.max(this.rememberedFrom, evicted.writtenAtMs + 1);
      this.slots[this.next] = { traceId, rowsStartFromMs, writtenAtMs: nowMs };
      this.next = (this.next + 1) % this.slots.length;
    }
  }
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hexTrace = (n: number) => n.toString(16).padStart(32, '0');

describe('WrittenActions', () => {
  it('answers what it recorded and forgets the oldest write once capacity later writes came', () => {
    const written = new WrittenActions(3, 1_000);
    const [a, b, c, d] = [hexTrace(1), hexTrace(2), 'f'.repeat(16) + '0'.repeat(16), hexTrace(4)];
    written.record([a, b], 500, 2_000);
    written.record([c], 600, 3_000);
    expect([written.has(a), written.rowsStartFrom(b), written.rowsStartFrom(c), written.has(d)]).toEqual([true, 500, 600, false]);
    expect(written.rememberedFrom).toBe(1_000);
    written.record([d], 700, 4_000);
    // a, written at 2,000, is gone: a trace not remembered may have been written up to then.
    expect([written.has(a), written.rowsStartFrom(b), written.rowsStartFrom(d), written.rememberedFrom]).toEqual([false, 500, 700, 2_001]);
  });

  it('keeps ids that are not 16 bytes of lowercase hex, exactly, and forgets them in turn', () => {
    const written = new WrittenActions(2, 0);
    const upper = 'AB'.repeat(16);
    const short = 'ab'.repeat(8);
    written.record([upper, short], 100, 10);
    expect([written.rowsStartFrom(upper), written.rowsStartFrom(short), written.has('ab'.repeat(16)), written.has('')]).toEqual([100, 100, false, false]);
    written.record([''], 200, 20);
    written.record([short], 300, 30);
    expect([written.has(upper), written.rowsStartFrom(''), written.rowsStartFrom(short), written.rememberedFrom]).toEqual([false, 200, 300, 11]);
  });

  it('tells apart ids that differ in one bit of any word', () => {
    const written = new WrittenActions(256, 0);
    const base = 0x0123456789abcdef0123456789abcdefn;
    const ids = Array.from({ length: 128 }, (_, bit) => (base ^ (1n << BigInt(bit))).toString(16).padStart(32, '0'));
    ids.forEach((id, i) => written.record([id], i, i));
    expect(ids.map((id) => written.rowsStartFrom(id))).toEqual(ids.map((_, i) => i));
    expect(written.has(base.toString(16).padStart(32, '0'))).toBe(false);
  });

  it('answers as a plain list would through 20,000 writes, rewrites and evictions', () => {
    const next = random(7);
    const capacity = 37;
    const written = new WrittenActions(capacity, 0);
    const listed = new ListedWrites(capacity, 0);
    // Few distinct ids, so rewrites, holes and evictions are frequent; some ids not hex, one empty.
    const ids = Array.from({ length: 120 }, (_, i) => (i % 10 === 0 ? `id-${i}` : i === 5 ? '' : hexTrace(i * 0x10001)));
    const pick = () => ids[Math.floor(next() * ids.length)] as string;
    for (let step = 1; step <= 20_000; step++) {
      const traceIds = Array.from({ length: 1 + Math.floor(next() * 4) }, pick);
      written.record(traceIds, step * 10, step);
      listed.record(traceIds, step * 10, step);
      const probe = pick();
      if (written.rowsStartFrom(probe) !== listed.rowsStartFrom(probe) || written.rememberedFrom !== listed.rememberedFrom) {
        throw new Error(`step ${step}: ${probe} → ${written.rowsStartFrom(probe)} / ${listed.rowsStartFrom(probe)}, from ${written.rememberedFrom} / ${listed.rememberedFrom}`);
      }
    }
    expect(ids.map((id) => written.rowsStartFrom(id))).toEqual(ids.map((id) => listed.rowsStartFrom(id)));
  });
});
