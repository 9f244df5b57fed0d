import { describe, expect, it } from 'vitest';
import { windowAt } from '../../processor/src/budgets/window.js';
import { startOfLocalDay } from '../../processor/src/budgets/time-zone.js';

const at = (iso: string) => new Date(iso);
const iso = (window: { start: Date; end: Date }) => [window.start.toISOString(), window.end.toISOString()];

describe('budget windows in a time zone', () => {
  it('monthly: the calendar month between local midnights, across the month boundary', () => {
    // 23:30 UTC on Oct 31 is already November in Berlin (UTC+1 after the October DST change).
    expect(iso(windowAt('monthly', 'Europe/Berlin', at('2026-10-31T23:30:00Z')))).toEqual(['2026-10-31T23:00:00.000Z', '2026-11-30T23:00:00.000Z']);
    expect(iso(windowAt('monthly', 'Europe/Berlin', at('2026-10-31T22:59:59Z')))).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    expect(iso(windowAt('monthly', 'UTC', at('2026-12-31T23:59:59Z')))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(iso(windowAt('monthly', 'America/Los_Angeles', at('2026-03-01T07:59:00Z')))).toEqual(['2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']);
  });

  it('daily: 23 and 25 hour days at the DST changes', () => {
    const spring = windowAt('daily', 'Europe/Berlin', at('2026-03-29T12:00:00Z'));
    expect(iso(spring)).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * 3_600_000);
    const autumn = windowAt('daily', 'America/New_York', at('2026-11-01T12:00:00Z'));
    expect(iso(autumn)).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
  });

  it('weekly: ISO weeks from Monday, local midnight', () => {
    // Sunday 2026-11-22 in Tokyo is Monday 2026-11-23 already at 15:00 UTC.
    expect(iso(windowAt('weekly', 'Asia/Tokyo', at('2026-11-22T14:59:59Z')))).toEqual(['2026-11-15T15:00:00.000Z', '2026-11-22T15:00:00.000Z']);
    expect(iso(windowAt('weekly', 'Asia/Tokyo', at('2026-11-22T15:00:00Z')))).toEqual(['2026-11-22T15:00:00.000Z', '2026-11-29T15:00:00.000Z']);
  });

  it('a day whose midnight is skipped starts when the clocks jump', () => {
    // Chile moved clocks from 00:00 to 01:00 on 2022-09-11: that day began at 04:00 UTC (local 01:00).
    expect(startOfLocalDay('America/Santiago', { year: 2022, month: 9, day: 11 }).toISOString()).toBe('2022-09-11T04:00:00.000Z');
    // And back from 00:00 to 23:00 the day before on 2023-04-02: April 1 had 25 hours.
    expect(startOfLocalDay('America/Santiago', { year: 2023, month: 4, day: 2 }).toISOString()).toBe('2023-04-02T04:00:00.000Z');
    const longDay = windowAt('daily', 'America/Santiago', at('2023-04-01T12:00:00Z'));
    expect(iso(longDay)).toEqual(['2023-04-01T03:00:00.000Z', '2023-04-02T04:00:00.000Z']);
  });
});
