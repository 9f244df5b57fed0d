import { z } from 'zod';

export type FailMode = 'open' | 'closed';

/** The budget gate's settings, from `GENAI_CHARGEBACK_BUDGET_*`. No URL: no gate, every call goes ahead. */
export interface BudgetGateSettings {
  /** The processor's HTTP address, e.g. http://genai-chargeback:4318. */
  url: string | undefined;
  /** How often the status of the scopes in use is fetched again (the overspend bound grows with it). */
  intervalMs: number;
  /** When the processor cannot be asked: `open` lets calls go ahead, `closed` refuses them. */
  failMode: FailMode;
  /** Longest wait for one status request. */
  timeoutMs: number;
  /** Bearer token for the processor's read API, when it requires one (`auth.read` or an ingest token). */
  token: string | undefined;
}

export const DEFAULT_BUDGET_SETTINGS: BudgetGateSettings = { url: undefined, intervalMs: 5_000, failMode: 'open', timeoutMs: 2_000, token: undefined };

const fields = {
  url: {
    env: 'GENAI_CHARGEBACK_BUDGET_URL',
    schema: z.url({ protocol: /^https?$/ }),
    fix: 'the processor address, e.g. http://genai-chargeback:4318',
  },
  intervalMs: { env: 'GENAI_CHARGEBACK_BUDGET_INTERVAL_MS', schema: z.coerce.number().int().min(100).max(3_600_000), fix: 'milliseconds from 100, e.g. 5000' },
  failMode: { env: 'GENAI_CHARGEBACK_BUDGET_FAIL_MODE', schema: z.enum(['open', 'closed']), fix: 'open or closed' },
  timeoutMs: { env: 'GENAI_CHARGEBACK_BUDGET_TIMEOUT_MS', schema: z.coerce.number().int().min(10).max(60_000), fix: 'milliseconds, e.g. 2000' },
  token: { env: 'GENAI_CHARGEBACK_BUDGET_TOKEN', schema: z.string().regex(/^[\x21-\x7e]+$/), fix: 'the token as printable characters without spaces' },
} as const;

/** Reads the settings; a bad value is reported in `problems` (naming the variable and the fix) and its default used. */
export function readBudgetSettings(env: Record<string, string | undefined> = process.env): { settings: BudgetGateSettings; problems: string[] } {
  const settings = { ...DEFAULT_BUDGET_SETTINGS };
  const problems: string[] = [];
  for (const [name, field] of Object.entries(fields) as [keyof BudgetGateSettings, (typeof fields)[keyof typeof fields]][]) {
    const raw = env[field.env]?.trim();
    if (raw === undefined || raw === '') continue;
    const parsed = field.schema.safeParse(raw);
    if (parsed.success) Object.assign(settings, { [name]: parsed.data });
    else problems.push(`${field.env}=${JSON.stringify(raw)} is not valid; use ${field.fix}. ${name === 'url' ? 'The budget gate is off.' : 'Using the default.'}`);
  }
  return { settings, problems };
}
