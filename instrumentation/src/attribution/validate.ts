import { z } from 'zod';
import { ATTRIBUTION_FIELDS, type Attribution, type AttributionField } from './keys.js';

export const MAX_VALUE_LENGTH = 256;

/** Thrown for attribution a developer got wrong; the message names each bad field and how to fix it. */
export class AttributionError extends Error {
  override name = 'AttributionError';
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(message);
  }
}

// Printable text only: control characters would be dropped or mangled by baggage encoding and break CSV/reports downstream.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const value = (field: AttributionField) =>
  z
    .string({ error: (issue) => `${field} must be a string, got ${issue.input === null ? 'null' : typeof issue.input}; pass text such as '${example(field)}' or leave it out` })
    .trim()
    .min(1, { error: `${field} is empty; pass a non-empty value such as '${example(field)}' or leave it out` })
    .max(MAX_VALUE_LENGTH, { error: `${field} is longer than ${MAX_VALUE_LENGTH} characters; use a short identifier` })
    .refine((text) => !CONTROL_CHARS.test(text), { error: `${field} contains control characters; remove line breaks and tabs` })
    .optional();

function example(field: AttributionField): string {
  return { team: 'search', project: 'assistant', feature: 'summaries', customer: 'acme', action: 'answer-question', userId: 'u-1234', environment: 'prod' }[field];
}

const schema = z.strictObject(
  Object.fromEntries(ATTRIBUTION_FIELDS.map((field) => [field, value(field)])) as Record<AttributionField, ReturnType<typeof value>>,
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown attribution field ${issue.keys.map((key) => `'${key}'`).join(', ')}; use ${ATTRIBUTION_FIELDS.join(', ')}`
        : `attribution must be an object such as { team: 'search' }`,
  },
);

export type AttributionCheck = { ok: true; value: Attribution } | { ok: false; value: Attribution; issues: string[] };

/**
 * Checks attribution input. On failure `value` still holds the fields that were valid, so a caller that must
 * not fail (production code paths) can keep going with them.
 */
export function checkAttribution(input: unknown): AttributionCheck {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: withoutUndefined(parsed.data) };
  const issues = parsed.error.issues.map((issue) => issue.message);
  const bad = new Set(parsed.error.issues.map((issue) => issue.path[0]));
  const kept: Attribution = {};
  if (typeof input === 'object' && input !== null) {
    for (const field of ATTRIBUTION_FIELDS) {
      if (bad.has(field)) continue;
      const raw: unknown = (input as Record<string, unknown>)[field];
      if (typeof raw === 'string') kept[field] = raw.trim();
    }
  }
  return { ok: false, value: kept, issues };
}

/** Validates attribution and throws {@link AttributionError} when any field is wrong. */
export function parseAttribution(input: unknown): Attribution {
  const result = checkAttribution(input);
  if (result.ok) return result.value;
  throw new AttributionError(`invalid chargeback attribution: ${result.issues.join('; ')}`, result.issues);
}

function withoutUndefined(input: Partial<Record<AttributionField, string | undefined>>): Attribution {
  const out: Attribution = {};
  for (const field of ATTRIBUTION_FIELDS) {
    const text = input[field];
    if (text !== undefined) out[field] = text;
  }
  return out;
}
