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
    /** Day-partitioned Parquet snapshots of llm_calls and actions for analysts (store/parquet-snapshots.ts); off when absent. */
    parquet: z
      .object({
        dir: z.string().min(1, 'a directory for the snapshots, e.g. ./exports'),
        every: duration.default(900_000),
      })
      .strict()
      .optional(),
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

const reconcileToleranceDefaults = { percent: 2, min_usd: 1, min_tokens: 10_000, min_requests: 10 };

/** `reconcile`: comparison with the providers' usage and cost reports (processor/src/reconcile/README.md). */
export const reconcileSchema = z
  .object({
    /** A difference counts when beyond the percentage of the provider's figure AND beyond the minimum. */
    tolerance: z
      .object({
        percent: z.number().nonnegative().default(reconcileToleranceDefaults.percent),
        min_usd: z.number().nonnegative().default(reconcileToleranceDefaults.min_usd),
        min_tokens: z.number().int().nonnegative().default(reconcileToleranceDefaults.min_tokens),
        min_requests: z.number().int().nonnegative().default(reconcileToleranceDefaults.min_requests),
      })
      .strict()
      .default(reconcileToleranceDefaults),
    /** How long after a UTC day ends late spans and provider data are still expected. */
    settle: duration.default(7_200_000),
    openai: z
      .object({
        admin_key: z.string().min(1, 'an OpenAI Admin key, e.g. "${env:OPENAI_ADMIN_KEY}"').optional(),
        base_url: z.url('a URL like https://api.openai.com/v1').default('https://api.openai.com/v1'),
      })
      .strict()
      .default({ base_url: 'https://api.openai.com/v1' }),
    anthropic: z
      .object({
        admin_key: z.string().min(1, 'an Anthropic Admin key, e.g. "${env:ANTHROPIC_ADMIN_KEY}"').optional(),
        base_url: z.url('a URL like https://api.anthropic.com').default('https://api.anthropic.com'),
      })
      .strict()
      .default({ base_url: 'https://api.anthropic.com' }),
  })
  .strict()
  .default({
    tolerance: reconcileToleranceDefaults,
    settle: 7_200_000,
    openai: { base_url: 'https://api.openai.com/v1' },
    anthropic: { base_url: 'https://api.anthropic.com' },
  });

export const configSchema = z
  .object({
    storage: storageSchema,
    receivers: receiversSchema,
    prices: z.array(z.string()).default([]),
    attribution: attributionSchema,
    rollup: rollupSchema,
    reconcile: reconcileSchema,
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type AttributionRule = z.output<typeof attributionRuleSchema>;
export type ReconcileConfig = z.output<typeof reconcileSchema>;
