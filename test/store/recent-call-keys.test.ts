import { describe, expect, it } from 'vitest';
import { RecentCallKeys } from '../../processor/src/store/recent-call-keys.js';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const call = (n: number, startMs: number) => ({ trace_id: 'a'.repeat(32), span_id: n.toString(16).padStart(16, '0'), start_time: new Date(startMs) });

describe('RecentCallKeys', () => {
  it('calls a key new only inside the covered range and until it is added', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0);
    expect(keys.isSurelyNew(call(1, t0 - 1))).toBe(false);
    expect(keys.isSurelyNew(call(1, t0))).toBe(true);
    keys.add([call(1, t0), call(2, t0 + 5_000)]);
    expect(keys.isSurelyNew(call(1, t0))).toBe(false);
    expect(keys.isSurelyNew(call(2, t0 + 5_000))).toBe(false);
    expect(keys.isSurelyNew(call(3, t0 + 5_000))).toBe(true);
    expect(keys.size).toBe(2);
  });

  it('gives a malformed id no hash, so it is always looked up', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0);
    expect(keys.isSurelyNew({ trace_id: 'not hex', span_id: 'zz', start_time: new Date(t0) })).toBe(false);
  });

  it('forgets buckets older than the window, and stops vouching for their range', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0);
    keys.add([call(1, t0), call(2, t0 + 30_000)]);
    keys.evict(t0 + 75_000);
    expect(keys.size).toBe(1);
    // Forgotten, so no longer provably new: it might be in the ledger.
    expect(keys.isSurelyNew(call(9, t0))).toBe(false);
    expect(keys.isSurelyNew(call(2, t0 + 30_000))).toBe(false);
    expect(keys.isSurelyNew(call(9, t0 + 30_000))).toBe(true);
  });

  it('drops the oldest buckets first when over maxKeys', () => {
    const keys = new RecentCallKeys({ windowMs: 3_600_000, maxKeys: 2 }, t0);
    keys.add([call(1, t0), call(2, t0 + 10_000), call(3, t0 + 20_000)]);
    keys.evict(t0 + 20_000);
    expect(keys.size).toBe(2);
    expect(keys.isSurelyNew(call(9, t0))).toBe(false);
    expect(keys.isSurelyNew(call(9, t0 + 10_000))).toBe(true);
  });
});
