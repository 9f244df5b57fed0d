import { UsageError } from './errors.js';

/** `YYYY-MM-DD` (UTC midnight) or a full ISO 8601 time. */
export function parseDateOption(flag: string, value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag}: expected a date like 2026-11-01 or 2026-11-01T12:00:00Z, got "${value}"`);
  return date;
}

export function parsePortOption(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`${flag}: expected a port from 0 to 65535, got "${value}"`);
  return port;
}

/** Commander collects a repeatable option through this. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
