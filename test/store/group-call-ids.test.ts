import { describe, expect, it } from 'vitest';
import { GroupCallIds } from '../../processor/src/store/group-call-ids.js';
import { callHash } from '../../processor/src/store/recent-call-keys.js';

const ids = (trace: number, span: number) => ({ trace_id: trace.toString(16).padStart(32, '0'), span_id: span.toString(16).padStart(16, '0') });

describe('GroupCallIds', () => {
  it('takes each call once, by its ids', () => {
    const group = new GroupCallIds();
    const calls = [ids(1, 1), ids(1, 2), ids(2, 1), ids(1, 1), ids(2, 1), ids(3, 3)];
    expect(calls.map((call) => group.addIfNew(call))).toStrictEqual([true, true, true, false, false, true]);
  });

  it('tells apart different calls whose hashes meet, and still knows every call after', () => {
    // (trace 1, span 2) and (trace 2, span 1) hash alike: the sums of their ids' low digits are equal.
    expect(callHash(ids(1, 2))).toBe(callHash(ids(2, 1)));
    const group = new GroupCallIds();
    expect([ids(1, 2), ids(5, 5), ids(2, 1), ids(1, 2), ids(5, 5), ids(2, 1), ids(7, 7), ids(7, 7)].map((call) => group.addIfNew(call))).toStrictEqual([
      true, true, true, false, false, false, true, false,
    ]);
  });

  it('compares malformed ids, which have no hash, as they are', () => {
    const group = new GroupCallIds();
    const odd = { trace_id: 'not-hex', span_id: 'zz' };
    expect([odd, ids(1, 1), { ...odd }, { ...odd, span_id: 'zy' }, ids(1, 1)].map((call) => group.addIfNew(call))).toStrictEqual([true, true, false, true, false]);
  });

  it('starts each group empty', () => {
    const group = new GroupCallIds();
    expect(group.addIfNew(ids(1, 2))).toBe(true);
    expect(group.addIfNew(ids(2, 1))).toBe(true);
    group.reset(3);
    expect([ids(1, 2), ids(2, 1), ids(1, 2)].map((call) => group.addIfNew(call))).toStrictEqual([true, true, false]);
  });
});
