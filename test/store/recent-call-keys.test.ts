import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { RecentCallKeys, callHash, callHashSql } from '../../processor/src/store/recent-call-keys.js';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const call = (n: number, startMs: number) => ({ trace_id: 'a'.repeat(32), span_id: n.toString(16).padStart(16, '0'), start_time: new Date(startMs) });

describe('RecentCallKeys', () => {
  it('claims a key as new only inside the covered range and until it is claimed or added', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0, t0);
    expect(keys.claimIfNew(call(1, t0 - 1))).toBe(false);
    expect(keys.claimIfNew(call(1, t0))).toBe(true);
    keys.add([call(1, t0), call(2, t0 + 5_000)]);
    expect(keys.claimIfNew(call(1, t0))).toBe(false);
    expect(keys.claimIfNew(call(2, t0 + 5_000))).toBe(false);
    expect(keys.claimIfNew(call(3, t0 + 5_000))).toBe(true);
    expect(keys.size).toBe(3);
  });

  it('claims a call once: new and recorded in one step, inside the covered range, malformed ids never', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100, maxAheadKeys: 2 }, t0, t0);
    expect(keys.claimIfNew(call(1, t0))).toBe(true);
    expect(keys.claimIfNew(call(1, t0))).toBe(false);
    expect(keys.claimIfNew(call(1, t0))).toBe(false);
    expect(keys.claimIfNew(call(2, t0 - 1))).toBe(false);
    expect(keys.claimIfNew({ trace_id: 'not hex', span_id: 'zz', start_time: new Date(t0) })).toBe(false);
    expect(keys.size).toBe(1);
    // Past the cap of calls ahead of the clock, the furthest are dropped and no longer vouched for.
    const ahead = t0 + 2 * 3_600_000;
    expect([1, 2, 3].map((n) => keys.claimIfNew(call(n, ahead + n * 10_000)))).toStrictEqual([true, true, true]);
    expect(keys.size).toBe(2);
    expect(keys.claimIfNew(call(9, ahead + 30_000))).toBe(false);
    expect(keys.claimIfNew(call(9, ahead + 10_000))).toBe(true);
  });

  it('gives a malformed id no hash, so it is always looked up', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0, t0);
    expect(keys.claimIfNew({ trace_id: 'not hex', span_id: 'zz', start_time: new Date(t0) })).toBe(false);
  });

  it('forgets buckets older than the window, and stops vouching for their range', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0, t0);
    keys.add([call(1, t0), call(2, t0 + 30_000)]);
    keys.evict(t0 + 75_000);
    expect(keys.size).toBe(1);
    // Forgotten, so no longer provably new: it might be in the ledger.
    expect(keys.claimIfNew(call(9, t0))).toBe(false);
    expect(keys.claimIfNew(call(2, t0 + 30_000))).toBe(false);
    expect(keys.claimIfNew(call(9, t0 + 30_000))).toBe(true);
  });

  it('starts a new bucket empty when it takes over the table of a forgotten one', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 100 }, t0, t0);
    keys.add([call(1, t0), call(2, t0)]);
    keys.evict(t0 + 75_000);
    expect(keys.size).toBe(0);
    // The same ids in a later bucket (a different call start): new there.
    expect(keys.claimIfNew(call(1, t0 + 70_000))).toBe(true);
    expect(keys.claimIfNew(call(2, t0 + 70_000))).toBe(true);
    expect(keys.size).toBe(2);
  });

  it('sizes its tables to the rate of the last buckets, so a burst leaves no larger tables behind', () => {
    const keys = new RecentCallKeys({ windowMs: 60_000, maxKeys: 1_000_000 }, t0, t0);
    let n = 0;
    // Ten seconds of `perBucket` calls into the bucket starting at `startMs`, then the clock moves past it.
    const bucketOf = (startMs: number, perBucket: number) => {
      for (let i = 0; i < perBucket; i++) keys.claimIfNew(call(++n, startMs + (i % 10_000)));
      keys.evict(startMs + 10_000);
    };
    const steadyBytes = (fromMs: number, perBucket: number) => {
      for (let b = 0; b < 14; b++) bucketOf(fromMs + b * 10_000, perBucket);
      return keys.tableBytes;
    };
    // 6 buckets in the window and the spare the next one takes, each sized for the 1,000 keys of the bucket before
    // it: 3,072 slots (24 KiB; at most half full, an eighth more room, in steps of 1,024).
    const quiet = steadyBytes(t0, 1_000);
    expect(quiet).toBe(7 * 3_072 * 8);
    // A burst of 40,000 a bucket: tables doubled from 3,072 to 98,304 slots (768 KiB), kept as they are (within a
    // quarter of the 90,112 fitted) while it lasts.
    expect(steadyBytes(t0 + 140_000, 40_000)).toBe(7 * 98_304 * 8);
    // Quiet again: the tables shrink back (before, each stayed as the burst left it).
    expect(steadyBytes(t0 + 280_000, 1_000)).toBe(quiet);
    expect(keys.size).toBe(6_000);
  });

  it('drops the oldest buckets first when over maxKeys', () => {
    const keys = new RecentCallKeys({ windowMs: 3_600_000, maxKeys: 2 }, t0, t0);
    keys.add([call(1, t0), call(2, t0 + 10_000), call(3, t0 + 20_000)]);
    keys.evict(t0 + 20_000);
    expect(keys.size).toBe(2);
    expect(keys.claimIfNew(call(9, t0))).toBe(false);
    expect(keys.claimIfNew(call(9, t0 + 10_000))).toBe(true);
  });

  it('hashes ids in DuckDB exactly as in JavaScript, malformed ones included', async () => {
    const ids: Array<[string, string]> = [
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'],
      ['4BF92F3577B34DA6A3CE929D0E0E4736', '00F067AA0BA902B7'],
      ['ffffffffffffffffffffffffffffffff', 'ffffffffffffffff'],
      ['00000000000000000000000000000000', '0000000000000000'],
      ['abc', '1'],
      ['', '00f067aa0ba902b7'],
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba9_2b7'],
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba9-2b7'],
      ['4bf92f3577b34da6a3ce929d0e0e47 6', '00f067aa0ba902b7'],
      ['4bf92f3577b34da6a3ce929d0e0e473g', '00f067aa0ba902b7'],
      ['0x4bf92f3577b34d', '0x12'],
    ];
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE llm_calls (trace_id VARCHAR, span_id VARCHAR, n INTEGER)');
      for (const [n, [trace_id, span_id]] of ids.entries()) {
        await connection.run('INSERT INTO llm_calls VALUES ($trace, $span, $n)', { trace: trace_id, span: span_id, n });
      }
      const rows = (await connection.runAndReadAll(`SELECT ${callHashSql} FROM llm_calls ORDER BY n`)).getColumnsJS()[0];
      const expected = ids.map(([trace_id, span_id]) => callHash({ trace_id, span_id }));
      expect(rows).toEqual(expected);
      expect(expected.filter((hash) => hash === null)).toHaveLength(6);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('loaded from the ledger up to maxKeys, vouches only for the buckets it holds whole', () => {
    const now = t0 + 600_000;
    const options = { windowMs: 600_000, maxKeys: 3 };
    const at = [t0 + 12_000, t0 + 25_000, t0 + 31_000];
    const hashes = at.map((start, n) => callHash(call(n, start)) as number);
    // Capped: the oldest loaded call's bucket (t0+10s..t0+20s) may hold calls that were not loaded.
    const capped = RecentCallKeys.fromLedger(options, now, { hashes, startsMs: at });
    expect(capped.claimIfNew(call(9, t0 + 19_999))).toBe(false);
    expect(capped.claimIfNew(call(9, t0 + 20_000))).toBe(true);
    expect(capped.claimIfNew(call(1, t0 + 25_000))).toBe(false);
    // Not capped: the whole window is known.
    const whole = RecentCallKeys.fromLedger({ ...options, maxKeys: 10 }, now, { hashes, startsMs: at });
    expect(whole.claimIfNew(call(9, t0 + 1))).toBe(true);
    expect(whole.claimIfNew(call(0, t0 + 12_000))).toBe(false);
    expect(whole.size).toBe(4);
  });
});

describe('RecentCallKeys, calls that start ahead of the clock', () => {
  const day = 86_400_000;
  const options = { windowMs: 60_000, maxKeys: 100, aheadMs: 60_000, maxAheadKeys: 20 };
  const farCall = (n: number) => ({ trace_id: 'b'.repeat(32), span_id: n.toString(16).padStart(16, '0'), start_time: new Date(t0 + day + n * 10_000) });

  it('keeps them apart under their own cap, so they neither push out current keys nor grow without bound', () => {
    const keys = new RecentCallKeys(options, t0 - 60_000, t0);
    const current = Array.from({ length: 50 }, (_, n) => call(n, t0 - n * 1_000));
    keys.add(current);
    // A client whose clock is a day ahead: 1,000 calls, one 10-second bucket each.
    for (let n = 0; n < 1_000; n += 100) {
      keys.evict(t0);
      keys.add(Array.from({ length: 100 }, (_, i) => farCall(n + i)));
    }
    expect(keys.size).toBeLessThanOrEqual(50 + 20);
    expect(current.every((known) => !keys.claimIfNew(known))).toBe(true);
    expect(keys.claimIfNew(call(999, t0))).toBe(true);
    // The earliest far calls are still held; past the ones dropped, nothing is vouched for.
    expect(keys.claimIfNew(farCall(0))).toBe(false);
    expect(keys.claimIfNew({ ...farCall(0), span_id: 'f'.repeat(16) })).toBe(true);
    expect(keys.claimIfNew({ ...farCall(999), span_id: 'f'.repeat(16) })).toBe(false);
  });

  it('moves them into the window as the clock reaches them', () => {
    const keys = new RecentCallKeys(options, t0 - 60_000, t0);
    const soon = call(1, t0 + 5 * 60_000);
    keys.add([soon]);
    keys.evict(t0 + 5 * 60_000);
    expect(keys.claimIfNew(soon)).toBe(false);
    expect(keys.claimIfNew(call(2, t0 + 5 * 60_000))).toBe(true);
    keys.evict(t0 + 6 * 60_000 + 10_000);
    // Past the window now: forgotten and no longer vouched for.
    expect(keys.size).toBe(0);
    expect(keys.claimIfNew(call(2, t0 + 5 * 60_000))).toBe(false);
  });

  it('loaded from the ledger up to their cap, vouches only for the buckets it holds whole', () => {
    const ahead = Array.from({ length: 20 }, (_, n) => farCall(n));
    const keys = RecentCallKeys.fromLedger(options, t0, { hashes: [], startsMs: [] }, {
      hashes: ahead.map((c) => callHash(c)),
      startsMs: ahead.map((c) => c.start_time.getTime()),
    });
    expect(keys.claimIfNew(farCall(0))).toBe(false);
    expect(keys.claimIfNew({ ...farCall(18), span_id: 'f'.repeat(16) })).toBe(true);
    // The last loaded call's bucket may hold calls the LIMIT cut off.
    expect(keys.claimIfNew({ ...farCall(19), span_id: 'f'.repeat(16) })).toBe(false);
    expect(keys.claimIfNew(call(3, t0))).toBe(true);
  });
});
