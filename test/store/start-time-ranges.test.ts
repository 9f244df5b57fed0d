import { describe, expect, it } from 'vitest';
import { splitByStartTime } from '../../processor/src/store/start-time-ranges.js';

const hour = 3_600_000;
const t0 = Date.parse('2026-11-23T10:00:00Z');
const split = (starts: number[], maxRanges = 8) =>
  splitByStartTime(starts, (start) => start, maxRanges, hour).map((range) => [range.minMs, range.maxMs, range.items.length]);

describe('splitByStartTime', () => {
  it('keeps calls less than an hour apart in one range', () => {
    expect(split([t0 + 30 * 60_000, t0, t0 + hour])).toEqual([[t0, t0 + hour, 3]]);
  });

  it('puts a call with an unset start time (1970) in a range of its own', () => {
    expect(split([t0, 0, t0 + 5_000, 0])).toEqual([
      [0, 0, 2],
      [t0, t0 + 5_000, 2],
    ]);
  });

  it('cuts at the widest gaps only, so there are never more ranges than allowed', () => {
    const starts = [0, t0 - 10 * hour, t0 - 2 * hour, t0, t0 + 90 * 60_000, t0 + 24 * hour];
    expect(split(starts, 3)).toEqual([
      [0, 0, 1],
      [t0 - 10 * hour, t0 + 90 * 60_000, 4],
      [t0 + 24 * hour, t0 + 24 * hour, 1],
    ]);
    expect(split(starts, 1)).toEqual([[0, t0 + 24 * hour, 6]]);
    expect(split(starts).length).toBe(6);
  });

  it('returns no range for no calls', () => {
    expect(split([])).toEqual([]);
  });
});
