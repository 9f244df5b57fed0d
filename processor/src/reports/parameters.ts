import { z } from 'zod';

/**
 * The parameters report files may use, one definition each, so every report reads `$since` the same way.
 * Raw values arrive as strings (CLI flags, URL query); a parameter left out is bound as NULL and the query
 * applies the default its header documents.
 */
export type ParameterValue = Date | string | string[] | number;
export type ParameterValues = Readonly<Record<string, ParameterValue | null>>;
export type RawParameters = Readonly<Record<string, string | readonly string[] | undefined>>;

export type ParameterSqlType = 'TIMESTAMP' | 'VARCHAR' | 'VARCHAR[]' | 'INTEGER' | 'DOUBLE';

export interface ParameterDefinition {
  name: string;
  sqlType: ParameterSqlType;
  /** What a user types, for help texts. */
  placeholder: string;
  /** Several values (`--team a --team b`, `?team=a&team=b`)? */
  repeatable: boolean;
  parse(raw: string, now: Date): ParameterValue;
}

class ParameterValueError extends Error {}

function fromSchema<T extends ParameterValue>(schema: z.ZodType<T>): (raw: string) => T {
  return (raw) => {
    const result = schema.safeParse(raw);
    if (!result.success) throw new ParameterValueError(result.error.issues[0]?.message ?? 'invalid value');
    return result.data;
  };
}

const relativeTime = /^(\d+)([hdw])$/;
const unitMillis = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `2026-11-01` (UTC midnight), an ISO 8601 time (no offset = UTC), or `7d` / `12h` / `2w` before now. */
export function parseTime(raw: string, now: Date): Date {
  const relative = relativeTime.exec(raw);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * unitMillis[relative[2] as keyof typeof unitMillis]);
  const isoDate = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const isoTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(raw);
  if (isoDate || isoTime) {
    const zoned = isoDate || /(Z|[+-]\d{2}:?\d{2})$/i.test(raw) ? raw : `${raw}Z`;
    const date = new Date(isoDate ? `${raw}T00:00:00Z` : zoned.replace(' ', 'T'));
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ParameterValueError(`expected a date like 2026-11-01, a UTC time like 2026-11-01T12:00:00Z, or 7d / 12h / 2w ago; got "${raw}"`);
}

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters');

const definitions: readonly ParameterDefinition[] = [
  { name: 'since', sqlType: 'TIMESTAMP', placeholder: 'time', repeatable: false, parse: parseTime },
  { name: 'until', sqlType: 'TIMESTAMP', placeholder: 'time', repeatable: false, parse: parseTime },
  { name: 'team', sqlType: 'VARCHAR[]', placeholder: 'team', repeatable: true, parse: fromSchema(name) },
  {
    name: 'grain',
    sqlType: 'VARCHAR',
    placeholder: 'day|week|month',
    repeatable: false,
    parse: fromSchema(z.enum(['day', 'week', 'month'], 'expected day, week or month')),
  },
  {
    name: 'limit',
    sqlType: 'INTEGER',
    placeholder: 'rows',
    repeatable: false,
    parse: fromSchema(
      z.coerce
        .number('expected a whole number of rows')
        .int('expected a whole number of rows')
        .min(1, 'expected at least 1 row')
        .max(100_000, 'at most 100000 rows'),
    ),
  },
  {
    name: 'month',
    sqlType: 'VARCHAR',
    placeholder: 'YYYY-MM',
    repeatable: false,
    parse: fromSchema(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month like 2026-11')),
  },
  {
    name: 'rule',
    sqlType: 'VARCHAR',
    placeholder: 'proportional|platform',
    repeatable: false,
    parse: fromSchema(z.enum(['proportional', 'platform'], 'expected proportional or platform')),
  },
  { name: 'platform_team', sqlType: 'VARCHAR', placeholder: 'team', repeatable: false, parse: fromSchema(name) },
  {
    name: 'z_threshold',
    sqlType: 'DOUBLE',
    placeholder: 'number',
    repeatable: false,
    parse: fromSchema(z.coerce.number('expected a number like 3').positive('expected a number above 0').max(100, 'at most 100')),
  },
];

export const parameterDefinitions: ReadonlyMap<string, ParameterDefinition> = new Map(definitions.map((d) => [d.name, d]));

/**
 * Parses raw values for the parameters a report takes. Every problem is collected, each message naming
 * the parameter, so one answer lists everything to fix.
 */
export function parseParameters(
  accepted: readonly string[],
  raw: RawParameters,
  now: Date,
): { values: Record<string, ParameterValue | null>; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, ParameterValue | null> = {};
  for (const given of Object.keys(raw)) {
    if (raw[given] !== undefined && !accepted.includes(given)) {
      problems.push(`${given}: not a parameter of this report (it takes ${accepted.length > 0 ? accepted.join(', ') : 'none'})`);
    }
  }
  for (const parameter of accepted) {
    const definition = parameterDefinitions.get(parameter);
    const input = raw[parameter];
    if (definition === undefined) throw new Error(`unknown parameter ${parameter}`);
    const texts = input === undefined ? [] : typeof input === 'string' ? [input] : [...input];
    if (texts.length === 0) {
      values[parameter] = null;
      continue;
    }
    if (!definition.repeatable && texts.length > 1) {
      problems.push(`${parameter}: give it once (got ${texts.length} values)`);
      continue;
    }
    try {
      const parsed = texts.map((text) => definition.parse(text, now));
      values[parameter] = definition.repeatable ? (parsed as string[]) : (parsed[0] ?? null);
    } catch (error) {
      if (!(error instanceof ParameterValueError)) throw error;
      problems.push(`${parameter}: ${error.message}`);
    }
  }
  problems.push(...crossCheck(values));
  return { values, problems };
}

/** Rules between parameters, which a single value cannot break. */
function crossCheck(values: Record<string, ParameterValue | null>): string[] {
  const problems: string[] = [];
  const { since, until, rule, platform_team: platformTeam } = values;
  if (since instanceof Date && until instanceof Date && since.getTime() >= until.getTime()) {
    problems.push(`since: must be before until (${since.toISOString()} is not before ${until.toISOString()})`);
  }
  if (rule === 'platform' && (platformTeam === null || platformTeam === undefined)) {
    problems.push('platform_team: rule platform gives the unallocated cost to a platform team; name it');
  }
  return problems;
}
