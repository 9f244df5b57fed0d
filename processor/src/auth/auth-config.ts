import { z } from 'zod';

/**
 * `auth`: bearer tokens for ingest (OTLP) and read (reports, budgets, /metrics) access. A token is given by its
 * SHA-256 (hex), a file holding it, or an environment variable holding it, so the config file never carries a
 * secret. An ingest token may be bound to the teams its service may claim.
 */

const tokenSource = {
  /** Which service or person the token belongs to; named in logs and on refused team claims. */
  name: z.string('a name for the token holder, e.g. search-svc').min(1, 'a name for the token holder, e.g. search-svc'),
  token_sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the token as 64 hex characters, e.g. from `printf %s "$TOKEN" | sha256sum`')
    .optional(),
  token_file: z.string().min(1, 'a path to a file holding the token').optional(),
  token_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable holding the token, e.g. SEARCH_INGEST_TOKEN')
    .optional(),
};

function exactlyOneSource(entry: { token_sha256?: string; token_file?: string; token_env?: string }, ctx: z.RefinementCtx): void {
  const given = [entry.token_sha256, entry.token_file, entry.token_env].filter((value) => value !== undefined).length;
  if (given !== 1) {
    ctx.addIssue({ code: 'custom', path: ['token_sha256'], message: 'set exactly one of token_sha256, token_file or token_env' });
  }
}

export const ingestTokenSchema = z
  .object({
    ...tokenSource,
    /** Teams the token's spans may claim; absent: any team. */
    teams: z.array(z.string().min(1)).min(1, 'at least one team, or leave `teams` out to allow any').optional(),
    /** A span claiming a team outside `teams`: stored unallocated and flagged, or rejected (partial success). */
    on_team_mismatch: z.enum(['unallocate', 'reject'], 'unallocate or reject').default('unallocate'),
  })
  .strict()
  .superRefine(exactlyOneSource);

export const readTokenSchema = z.object(tokenSource).strict().superRefine(exactlyOneSource);

function uniqueNames(entries: Array<{ name: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${entry.name}" is used twice; give each token its own name` });
    seen.add(entry.name);
  });
}

export const authSchema = z
  .object({
    ingest: z.array(ingestTokenSchema).default([]).superRefine(uniqueNames),
    read: z.array(readTokenSchema).default([]).superRefine(uniqueNames),
  })
  .strict()
  .default({ ingest: [], read: [] });

export type AuthConfig = z.output<typeof authSchema>;
export type IngestTokenConfig = z.output<typeof ingestTokenSchema>;
export type ReadTokenConfig = z.output<typeof readTokenSchema>;
