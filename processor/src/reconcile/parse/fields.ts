import { z } from 'zod';
import { parseScaledDecimal } from '../../ledger/money.js';
import { DecimalText } from './json-source.js';

/** zod pieces shared by the provider report schemas; numbers arrive as DecimalText (see json-source.ts). */

export const number = z.instanceof(DecimalText, { error: 'expected a number' });

/** A non-negative whole number (token or request count) as an exact BigInt. */
export const count = number.transform((value, ctx) => {
  const scaled = parseScaledDecimal(value.text, 9);
  if (scaled === null || scaled < 0n || scaled % 1_000_000_000n !== 0n) {
    ctx.addIssue({ code: 'custom', message: `expected a whole non-negative number, got ${value.text}` });
    return z.NEVER;
  }
  return scaled / 1_000_000_000n;
});

/** Unix seconds (OpenAI bucket bounds). */
export const unixSeconds = count.transform((seconds) => new Date(Number(seconds) * 1000));

/** RFC 3339 timestamp (Anthropic bucket bounds). */
export const rfc3339 = z.string().transform((text, ctx) => {
  const millis = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(millis)) {
    ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 timestamp like 2025-08-01T00:00:00Z, got "${text}"` });
    return z.NEVER;
  }
  return new Date(millis);
});

/** A dimension: a string when the report is grouped by it, null or absent otherwise. */
export const dimension = z
  .string()
  .nullish()
  .transform((value) => value ?? null);

/** Either a JSON number or a decimal string, kept as text for exact conversion. */
export const decimalText = z
  .union([number.transform((value) => value.text), z.string()], { error: 'expected a decimal number or a decimal string' })
  .refine((text) => parseScaledDecimal(text, 0) !== null, { error: (issue) => `expected a decimal number, got "${String(issue.input)}"` });

/** Money as decimal text in a given unit → exact nano-dollars. */
export function money(toNanos: (text: string) => bigint | null) {
  return decimalText.transform((text, ctx) => {
    const nanos = toNanos(text);
    if (nanos === null) {
      ctx.addIssue({ code: 'custom', message: `expected a decimal amount, got "${text}"` });
      return z.NEVER;
    }
    return nanos;
  });
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A provider bucket that does not start at midnight UTC covers part of its day only (OpenAI's first bucket does). */
export function partialDayNote(start: Date, end: Date): string | null {
  const startsAtMidnight = start.getTime() % 86_400_000 === 0;
  const endsByNextMidnight = end.getTime() - start.getTime() <= 86_400_000;
  if (startsAtMidnight || !endsByNextMidnight || end.getTime() % 86_400_000 !== 0) return null;
  return `the provider's bucket for ${utcDay(start)} starts at ${start.toISOString().slice(11, 16)} UTC, so its figures cover part of that day`;
}
