/**
 * Calendar arithmetic in an IANA time zone with nothing but Intl: what local date an instant falls on, and the
 * instant a local day starts. DST-correct: a local day may be 23 or 25 hours long, and where a transition
 * skips midnight the day starts at the first instant that exists on it.
 */

export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `at` in the zone, read back as if they were UTC (milliseconds). */
function wallClockMs(timeZone: string, at: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** UTC offset of the zone at `at`, in milliseconds (Europe/Berlin in winter: +3 600 000). */
function offsetMs(timeZone: string, at: number): number {
  const wholeSecond = Math.floor(at / 1000) * 1000;
  return wallClockMs(timeZone, wholeSecond) - wholeSecond;
}

export function localDateOf(timeZone: string, at: Date): LocalDate {
  const wall = new Date(wallClockMs(timeZone, at.getTime()));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** Adds days (or months) on the calendar; Date.UTC normalises overflow such as day 32 or month 13. */
export function addDays(date: LocalDate, days: number): LocalDate {
  return fromUtcFields(Date.UTC(date.year, date.month - 1, date.day + days));
}

export function addMonths(date: LocalDate, months: number): LocalDate {
  return fromUtcFields(Date.UTC(date.year, date.month - 1 + months, date.day));
}

/** 0 = Monday … 6 = Sunday (ISO order). */
export function isoWeekday(date: LocalDate): number {
  return (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7;
}

function fromUtcFields(ms: number): LocalDate {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function sameDate(a: LocalDate, b: LocalDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/**
 * The first instant of a local day. Local midnight minus the offset in force either just before or just after
 * it gives the candidates; the earliest one that falls on the day is its start (the first of two midnights in a
 * backward transition, the transition itself where a forward one skips midnight).
 */
export function startOfLocalDay(timeZone: string, date: LocalDate): Date {
  const midnightAsUtc = Date.UTC(date.year, date.month - 1, date.day);
  const first = midnightAsUtc - offsetMs(timeZone, midnightAsUtc);
  const second = midnightAsUtc - offsetMs(timeZone, first);
  const candidates = [first, second, midnightAsUtc - offsetMs(timeZone, first - 86_400_000)]
    .filter((at) => sameDate(localDateOf(timeZone, new Date(at)), date))
    .sort((a, b) => a - b);
  return new Date(candidates[0] ?? second);
}
