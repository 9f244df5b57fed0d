import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { authSchema } from '../auth/auth-config.js';
import { limitsSchema } from '../limits/limits-config.js';
import { memoryLimitSchema } from '../ops/memory-limit-config.js';
import { pseudonymizeSchema } from '../privacy/pseudonymize-config.js';
import { isTimeZone } from '../budgets/time-zone.js';

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

const defaultDuckDbThreads = Math.max(1, availableParallelism() - 1);

export const storageSchema = z
  .object({
    db: z.string().default('./genai-chargeback.duckdb'),
    /** Rows a single commit may carry; requests wait in the write queue beyond that. */
    max_batch_rows: z.number().int().positive().default(50_000),
    /** Spans waiting to be committed before receivers answer 429/503 with Retry-After. */
    max_queued_spans: z.number().int().positive().default(200_000),
    /**
     * When an export is acknowledged: `commit`, after its rows are committed to DuckDB (a report run after the
     * answer sees them); `journal`, once they are fsynced in the write-ahead journal `<db>.journal/` and before
     * the commit, so DuckDB's checkpoints do not delay answers (store/ledger-journal.ts).
     */
    ack: z.enum(['commit', 'journal'], "'commit' or 'journal'").default('commit'),
    /** DuckDB's own memory (its cache of the ledger included); DuckDB's default is 80% of the machine's RAM. */
    memory_limit_mib: z.number().int().min(64, 'at least 64 (MiB), e.g. 2048').default(2048),
    /**
     * Size of DuckDB's write-ahead log at which it checkpoints: writes the logged rows into the file, compressed.
     * Each checkpoint compresses the ledger's last, partly filled row group (up to 122,880 rows) again, whole: at
     * DuckDB's own 16 MiB (~35,000 calls) a call was compressed about twice, and inserting cost 15.5 µs of CPU a
     * call against 10.5 at 64 MiB (2,000-row INSERTs). The logged rows stay in DuckDB's memory until then, so the
     * default is an eighth of `memory_limit_mib`, at most 64 (16 at a 128 MiB limit).
     */
    checkpoint_threshold_mib: z.number().int().min(1, 'at least 1 (MiB), e.g. 64').optional(),
    /**
     * DuckDB's worker threads. The default leaves one core to the JavaScript thread, which decodes and answers every
     * request: with DuckDB on all cores its commits took CPU from it (2 cores, `npm run bench`: (a) 33–41k spans/s
     * with 2 threads, 42–45k with 1).
     */
    threads: z.number().int().min(1, 'at least 1, e.g. 4').default(defaultDuckDbThreads),
    /** Day-partitioned Parquet snapshots of llm_calls and actions for analysts (store/parquet-snapshots.ts); off when absent. */
    parquet: z
      .object({
        dir: z.string('a directory for the snapshots, e.g. ./exports').min(1, 'a directory for the snapshots, e.g. ./exports'),
        every: duration.refine((ms) => ms >= 1_000, 'at least 1s, e.g. 15m').default(900_000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((storage) => storage.ack === 'commit' || storage.db !== ':memory:', {
    message: "ack 'journal' needs a database file (db), not ':memory:'",
    path: ['ack'],
  })
  .default({ db: './genai-chargeback.duckdb', max_batch_rows: 50_000, max_queued_spans: 200_000, ack: 'commit', memory_limit_mib: 2048, threads: defaultDuckDbThreads });

/** `storage.checkpoint_threshold_mib`, or its default for the storage's memory limit. */
export function checkpointThresholdMib(storage: { checkpoint_threshold_mib?: number | undefined; memory_limit_mib: number }): number {
  return storage.checkpoint_threshold_mib ?? Math.max(1, Math.min(64, Math.floor(storage.memory_limit_mib / 8)));
}

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
  .object({ rules: z.array(attributionRuleSchema).default([]), pseudonymize_user_ids: pseudonymizeSchema.optional() })
  .strict()
  .default({ rules: [] });

export const rollupSchema = z
  .object({
    wait: duration.default(5_000),
    max_age: duration.default(60_000),
    max_traces: z.number().int().positive().max(10_000_000, 'at most 10000000 (the roll-up allocates about 50 bytes a trace at start-up)').default(100_000),
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

const budgetScopeSchema = z
  .strictObject(
    {
      team: z.string().min(1),
      project: z.string().min(1),
      feature: z.string().min(1),
      customer: z.string().min(1),
      environment: z.string().min(1),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown dimension ${issue.keys.map((key) => `"${key}"`).join(', ')}; a scope uses team, project, feature, customer, environment`
          : 'a scope such as { team: search } ({} for all spend)',
    },
  )
  .partial();

/** One budget (processor/src/budgets/README.md): a limit per window on one attribution scope. */
export const budgetSchema = z
  .object({
    name: z.string().min(1, 'a name for the budget, e.g. search-monthly'),
    /** Dimensions that must all match; `{}` covers all spend. */
    scope: budgetScopeSchema,
    period: z.enum(['daily', 'weekly', 'monthly'], 'daily, weekly or monthly'),
    /** Windows start at local midnight here (weeks on Monday, months on the 1st). */
    timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin or UTC').default('UTC'),
    limit_usd: z.number('a limit in USD, e.g. 500').gte(0.01, 'a limit of at least 0.01 USD, e.g. 500'),
    alert_at: z
      .array(z.number().positive('a share of the limit above 0, e.g. 0.8 for 80%').max(10, 'a share of the limit, e.g. 0.8 for 80%'))
      .min(1, 'at least one share of the limit, e.g. [0.5, 0.8, 1.0]')
      .default([0.5, 0.8, 1]),
    /** `block`: the instrumentation refuses calls in the scope once the limit is reached. */
    mode: z.enum(['alert', 'block'], 'alert or block').default('alert'),
  })
  .strict();

export const budgetsSchema = z
  .array(budgetSchema)
  .default([])
  .superRefine((budgets, ctx) => {
    const seen = new Set<string>();
    budgets.forEach((budget, index) => {
      if (seen.has(budget.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${budget.name}" is used twice; give each budget its own name` });
      seen.add(budget.name);
    });
  });

const webhookSchema = z
  .object({
    url: z.url('a URL like https://hooks.slack.com/services/… or "${env:ALERT_WEBHOOK}"'),
    /** `json`: the generic alert object; `slack`: `{ "text": … }` for Slack-compatible incoming webhooks. */
    format: z.enum(['json', 'slack'], 'json or slack').default('json'),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const alertDeliveryDefaults = { attempts: 6, backoff: 1_000, max_backoff: 60_000, timeout: 5_000, queue: 1_000 };
const spikeDefaults = { enabled: true, factor: 2, min_usd: 1, repeat_after: 21_600_000 };
const unallocatedDefaults = { enabled: true, max_share: 0.05, min_usd: 1 };

/** `alerts`: where alerts go and the non-budget detectors (processor/src/alerts/). */
export const alertsSchema = z
  .object({
    webhooks: z.array(webhookSchema).default([]),
    delivery: z
      .object({
        /** Tries per webhook, the first included. */
        attempts: z.number().int().min(1).max(50).default(alertDeliveryDefaults.attempts),
        /** First retry delay, doubled each time up to max_backoff. */
        backoff: duration.default(alertDeliveryDefaults.backoff),
        max_backoff: duration.default(alertDeliveryDefaults.max_backoff),
        timeout: duration.default(alertDeliveryDefaults.timeout),
        /** Alerts waiting per webhook; beyond it new alerts are stored and logged but not sent. */
        queue: z.number().int().positive().default(alertDeliveryDefaults.queue),
      })
      .strict()
      .default(alertDeliveryDefaults),
    /** How often spend spikes and the unallocated share are checked against the ledger. */
    check_every: duration.refine((ms) => ms >= 1_000, 'at least 1s, e.g. 1m').default(60_000),
    /** A team's last hour above `factor` × its trailing 7-day hourly average (and at least min_usd). */
    spike: z
      .object({
        enabled: z.boolean().default(spikeDefaults.enabled),
        factor: z.number().gt(1, 'a multiple above 1, e.g. 2').default(spikeDefaults.factor),
        min_usd: z.number().nonnegative().default(spikeDefaults.min_usd),
        /** At most one spike alert per team in each block of this length. */
        repeat_after: duration.default(spikeDefaults.repeat_after),
      })
      .strict()
      .default(spikeDefaults),
    /** The UTC day's unallocated share of cost above `max_share`, once the day's spend reaches min_usd. */
    unallocated: z
      .object({
        enabled: z.boolean().default(unallocatedDefaults.enabled),
        max_share: z.number().min(0).max(1, 'a share between 0 and 1, e.g. 0.05 for 5%').default(unallocatedDefaults.max_share),
        min_usd: z.number().nonnegative().default(unallocatedDefaults.min_usd),
      })
      .strict()
      .default(unallocatedDefaults),
    /** The first call to a model the price book cannot price. */
    unpriced_models: z.boolean().default(true),
    /** New unpriced models alerted one by one per UTC day; past it, one summary alert (model names come from telemetry). */
    unpriced_models_per_day: z.number().int().positive().default(20),
  })
  .strict()
  .default({
    webhooks: [],
    delivery: alertDeliveryDefaults,
    check_every: 60_000,
    spike: spikeDefaults,
    unallocated: unallocatedDefaults,
    unpriced_models: true,
    unpriced_models_per_day: 20,
  });

const forwardQueueDefaults = { max_spans: 100_000, max_mib: 64, consumers: 2 };
const forwardBatchDefaults = { max_spans: 8_192, max_mib: 3, timeout: 200 };
const forwardRetryDefaults = { enabled: true, initial_interval: 1_000, max_interval: 30_000, max_elapsed_time: 300_000, multiplier: 1.5, randomization_factor: 0.5 };
const forwardHoldDefaults = { max_spans: 200_000, max_mib: 128, max_wait: 120_000 };

/** `KEY=value,KEY2=value2` with URL-encoded values, as in OTEL_EXPORTER_OTLP_HEADERS. */
function parseHeaderList(text: string, ctx: z.RefinementCtx): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const name = item.slice(0, Math.max(equals, 0)).trim();
    if (equals < 0 || name === '') {
      ctx.addIssue({ code: 'custom', message: `"${item.trim()}" is not name=value; write headers as a map or as "name=value,name2=value2"` });
      return z.NEVER;
    }
    headers[name] = decodeURIComponent(item.slice(equals + 1).trim());
  }
  return headers;
}

/** One OTLP exporter of `forward` (processor/src/forward/README.md); keys follow OTEL_EXPORTER_OTLP_*. */
export const forwardExporterSchema = z
  .object({
    /** Label of the exporter's metrics; default: the endpoint's host:port. */
    name: z.string().min(1).optional(),
    /** Base URL (OTEL_EXPORTER_OTLP_ENDPOINT): HTTP protocols append /v1/traces, /v1/logs, /v1/metrics; gRPC takes http(s)://host:port. */
    endpoint: z.string().min(1, 'a URL like http://tempo:4318').optional(),
    /** Full URL used as it is (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); HTTP protocols only. */
    traces_endpoint: z.string().min(1, 'a URL like http://tempo:4318/v1/traces').optional(),
    /** Full URLs for the logs and metrics passed through (OTEL_EXPORTER_OTLP_LOGS/METRICS_ENDPOINT); HTTP only. */
    logs_endpoint: z.string().min(1, 'a URL like http://loki:3100/otlp/v1/logs').optional(),
    metrics_endpoint: z.string().min(1, 'a URL like http://prometheus:9090/api/v1/otlp/v1/metrics').optional(),
    protocol: z.enum(['http/protobuf', 'http/json', 'grpc'], 'http/protobuf, http/json or grpc').default('http/protobuf'),
    /** `immediate`: as soon as stored; `after-rollup`: a trace once its action is written, its cost on the root span. */
    mode: z.enum(['immediate', 'after-rollup'], 'immediate or after-rollup').default('immediate'),
    headers: z
      .union([z.record(z.string().min(1), z.string()), z.string()], 'a map of header names to values, or "name=value,name2=value2"')
      .transform((headers, ctx) => (typeof headers === 'string' ? parseHeaderList(headers, ctx) : headers))
      .default({}),
    compression: z.enum(['gzip', 'none'], 'gzip or none').default('none'),
    /** Per attempt. */
    timeout: duration.default(10_000),
    /** Spans waiting to be sent; beyond either limit the oldest batches are dropped (and counted). */
    queue: z
      .object({
        max_spans: z.number().int().positive().default(forwardQueueDefaults.max_spans),
        max_mib: z.number().positive().default(forwardQueueDefaults.max_mib),
        /** Requests in flight at once. */
        consumers: z.number().int().min(1).max(64).default(forwardQueueDefaults.consumers),
      })
      .strict()
      .default(forwardQueueDefaults),
    /** A request is sent once it reaches max_spans or max_mib, or its oldest span has waited `timeout`. */
    batch: z
      .object({
        max_spans: z.number().int().positive().default(forwardBatchDefaults.max_spans),
        /** Stay under the receiver's message limit (4 MiB by default for gRPC). */
        max_mib: z.number().positive().default(forwardBatchDefaults.max_mib),
        timeout: duration.default(forwardBatchDefaults.timeout),
      })
      .strict()
      .default(forwardBatchDefaults),
    /** Retries of 429/502/503/504 and retryable gRPC codes, honouring Retry-After; the Collector's retry_on_failure keys. */
    retry: z
      .object({
        enabled: z.boolean().default(forwardRetryDefaults.enabled),
        initial_interval: duration.default(forwardRetryDefaults.initial_interval),
        max_interval: duration.default(forwardRetryDefaults.max_interval),
        max_elapsed_time: duration.default(forwardRetryDefaults.max_elapsed_time),
        multiplier: z.number().min(1).default(forwardRetryDefaults.multiplier),
        randomization_factor: z.number().min(0).max(1).default(forwardRetryDefaults.randomization_factor),
      })
      .strict()
      .default(forwardRetryDefaults),
    /** after-rollup: spans held until their trace's action is written; beyond a limit, or max_wait, sent without it. */
    hold: z
      .object({
        max_spans: z.number().int().positive().default(forwardHoldDefaults.max_spans),
        max_mib: z.number().positive().default(forwardHoldDefaults.max_mib),
        max_wait: duration.default(forwardHoldDefaults.max_wait),
      })
      .strict()
      .default(forwardHoldDefaults),
  })
  .strict()
  .superRefine((exporter, ctx) => {
    const given = [exporter.endpoint, exporter.traces_endpoint].filter((value) => value !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'set exactly one of endpoint (base URL, e.g. http://tempo:4318) or traces_endpoint (full URL)' });
    } else if (exporter.protocol === 'grpc' && exporter.traces_endpoint !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['traces_endpoint'], message: 'gRPC has no URL path: use endpoint, e.g. http://tempo:4317' });
    }
    const url = exporter.endpoint ?? exporter.traces_endpoint;
    if (url !== undefined && !/^https?:\/\/[^/]+/.test(url)) {
      ctx.addIssue({ code: 'custom', path: [exporter.endpoint === undefined ? 'traces_endpoint' : 'endpoint'], message: `"${url}" is not an http:// or https:// URL, e.g. http://tempo:4318` });
    }
    for (const key of ['logs_endpoint', 'metrics_endpoint'] as const) {
      const signalUrl = exporter[key];
      if (signalUrl === undefined) continue;
      if (exporter.protocol === 'grpc') ctx.addIssue({ code: 'custom', path: [key], message: 'gRPC has no URL path: logs and metrics go to endpoint too' });
      else if (!/^https?:\/\/[^/]+/.test(signalUrl)) ctx.addIssue({ code: 'custom', path: [key], message: `"${signalUrl}" is not an http:// or https:// URL` });
    }
  });

export const forwardSchema = z.array(forwardExporterSchema).default([]);

export const configSchema = z
  .object({
    storage: storageSchema,
    receivers: receiversSchema,
    prices: z.array(z.string()).default([]),
    attribution: attributionSchema,
    rollup: rollupSchema,
    reconcile: reconcileSchema,
    forward: forwardSchema,
    budgets: budgetsSchema,
    alerts: alertsSchema,
    auth: authSchema,
    limits: limitsSchema,
    memory_limit: memoryLimitSchema,
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type AttributionRule = z.output<typeof attributionRuleSchema>;
export type ReconcileConfig = z.output<typeof reconcileSchema>;
export type ForwardExporterConfig = z.output<typeof forwardExporterSchema>;
export type BudgetConfig = z.output<typeof budgetSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
