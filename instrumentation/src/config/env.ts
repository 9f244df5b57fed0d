import { z } from 'zod';

/** Settings of this package, from `GENAI_CHARGEBACK_*` environment variables (OTel's own `OTEL_*` are read by the SDK). */
export interface InstrumentationSettings {
  /** Hosts that may receive the chargeback baggage entries (see baggage/host-allowlist.ts for the pattern syntax). */
  baggageHosts: string;
  /** Throw on invalid attribution instead of warning and dropping the bad field. */
  strictAttribution: boolean;
  /** Add `stream_options.include_usage` to OpenAI chat streams that did not ask for usage (and hide the extra chunk). */
  openaiStreamUsage: boolean;
  /** Keep the HTTP client spans of the requests made inside a model call (its attempts); off: the GenAI span counts them. */
  modelHttpSpans: boolean;
  /** Longest wait for the final span export when the process is told to stop. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_BAGGAGE_HOSTS = 'loopback,private,cluster';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((text) => text === 'true' || text === '1' || text === 'yes');

const fields = {
  baggageHosts: { env: 'GENAI_CHARGEBACK_BAGGAGE_HOSTS', schema: z.string(), fix: 'a comma list such as "loopback,private,cluster,*.corp.example"' },
  strictAttribution: { env: 'GENAI_CHARGEBACK_STRICT_ATTRIBUTION', schema: bool, fix: 'true or false' },
  openaiStreamUsage: { env: 'GENAI_CHARGEBACK_OPENAI_STREAM_USAGE', schema: bool, fix: 'true or false' },
  modelHttpSpans: { env: 'GENAI_CHARGEBACK_MODEL_HTTP_SPANS', schema: bool, fix: 'true or false' },
  shutdownTimeoutMs: { env: 'GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS', schema: z.coerce.number().int().min(0).max(600_000), fix: 'milliseconds, e.g. 3000' },
} as const;

type Env = Record<string, string | undefined>;

export function defaultSettings(env: Env = process.env): InstrumentationSettings {
  const nodeEnv = env['NODE_ENV'];
  return {
    baggageHosts: DEFAULT_BAGGAGE_HOSTS,
    // Developers see bad attribution as an error; production keeps running with the valid fields.
    strictAttribution: nodeEnv === 'development' || nodeEnv === 'test',
    openaiStreamUsage: true,
    modelHttpSpans: false,
    shutdownTimeoutMs: 3000,
  };
}

/**
 * Reads the settings. A bad value never stops the app: it is reported in `problems` (naming the variable and
 * the fix) and its default is used.
 */
export function readSettings(env: Env = process.env): { settings: InstrumentationSettings; problems: string[] } {
  const settings = defaultSettings(env);
  const problems: string[] = [];
  for (const [name, field] of Object.entries(fields) as [keyof InstrumentationSettings, (typeof fields)[keyof typeof fields]][]) {
    const raw = env[field.env];
    if (raw === undefined || (raw.trim() === '' && name !== 'baggageHosts')) continue;
    const parsed = field.schema.safeParse(raw.trim());
    if (parsed.success) Object.assign(settings, { [name]: parsed.data });
    else problems.push(`${field.env}=${JSON.stringify(raw)} is not valid; use ${field.fix}. Using the default.`);
  }
  return { settings, problems };
}
