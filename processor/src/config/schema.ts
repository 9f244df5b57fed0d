import { z } from 'zod';

/**
 * The processor's config file (YAML or JSON), one section per concern (DESIGN.md "Configuration").
 * Every key is optional with a default, so `{}` is a valid config.
 */

const duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration like 500ms, 5s, 15m or 1h')])
  .transform(toMilliseconds);

export function toMilliseconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

const port = z.number().int().min(0).max(65_535);

export const storageSchema = z
  .object({
    db: z.string().default('./genai-chargeback.duckdb'),
    /** Rows a single commit may carry; requests wait in the write queue beyond that. */
    max_batch_rows: z.number().int().positive().default(50_000),
    /** Spans waiting to be committed before receivers answer 429/503 with Retry-After. */
    max_queued_spans: z.number().int().positive().default(200_000),
  })
  .strict()
  .default({ db: './genai-chargeback.duckdb', max_batch_rows: 50_000, max_queued_spans: 200_000 });

export const receiversSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    http: z
      .object({ port: port.default(4318), body_limit_mib: z.number().positive().default(64) })
      .strict()
      .default({ port: 4318, body_limit_mib: 64 }),
    grpc: z.object({ port: port.default(4317) }).strict().default({ port: 4317 }),
  })
  .strict()
  .default({ host: '127.0.0.1', http: { port: 4318, body_limit_mib: 64 }, grpc: { port: 4317 } });

const attributionValues = z
  .object({
    team: z.string().min(1),
    project: z.string().min(1),
    feature: z.string().min(1),
    customer: z.string().min(1),
    environment: z.string().min(1),
  })
  .partial()
  .strict();

export const attributionRuleSchema = z
  .object({
    /** Attribute (resource or span) → glob pattern (`*` matches any run of characters). All must match. */
    match: z.record(z.string(), z.string()).refine((m) => Object.keys(m).length > 0, 'match needs at least one key'),
    set: attributionValues.refine((s) => Object.keys(s).length > 0, 'set needs at least one key'),
  })
  .strict();

export const attributionSchema = z
  .object({ rules: z.array(attributionRuleSchema).default([]) })
  .strict()
  .default({ rules: [] });

export const rollupSchema = z
  .object({
    wait: duration.default(5_000),
    max_age: duration.default(60_000),
    max_traces: z.number().int().positive().default(100_000),
    max_buffer_mib: z.number().positive().default(256),
  })
  .strict()
  .default({ wait: 5_000, max_age: 60_000, max_traces: 100_000, max_buffer_mib: 256 });

export const configSchema = z
  .object({
    storage: storageSchema,
    receivers: receiversSchema,
    prices: z.array(z.string()).default([]),
    attribution: attributionSchema,
    rollup: rollupSchema,
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type AttributionRule = z.output<typeof attributionRuleSchema>;
