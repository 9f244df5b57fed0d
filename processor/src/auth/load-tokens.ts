import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import type { AuthConfig } from './auth-config.js';
import type { Principal } from './principal.js';

/** A token source in `auth` that cannot be used (unreadable file, unset variable, empty token). */
export class AuthConfigError extends UserError {
  override name = 'AuthConfigError';
}

/** A principal and the SHA-256 of its token; the token itself is not kept. */
export interface TokenEntry {
  principal: Principal;
  digest: Buffer;
}

export function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

interface TokenSource {
  name: string;
  token_sha256?: string | undefined;
  token_file?: string | undefined;
  token_env?: string | undefined;
}

/** Resolves every configured token to its digest, reading token files and variables once, at start-up. */
export async function loadTokens(config: AuthConfig, env: NodeJS.ProcessEnv = process.env): Promise<TokenEntry[]> {
  const entries: TokenEntry[] = [];
  for (const [index, token] of config.ingest.entries()) {
    entries.push({
      principal: {
        name: token.name,
        access: 'ingest',
        teams: token.teams === undefined ? null : new Set(token.teams),
        onTeamMismatch: token.on_team_mismatch,
      },
      digest: await digestOf(token, `auth.ingest[${index}]`, env),
    });
  }
  for (const [index, token] of config.read.entries()) {
    entries.push({
      principal: { name: token.name, access: 'read', teams: null, onTeamMismatch: 'unallocate' },
      digest: await digestOf(token, `auth.read[${index}]`, env),
    });
  }
  return entries;
}

async function digestOf(source: TokenSource, field: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  if (source.token_sha256 !== undefined) return Buffer.from(source.token_sha256, 'hex');
  if (source.token_env !== undefined) {
    const value = env[source.token_env];
    if (value === undefined || value.trim() === '') {
      throw new AuthConfigError(`${field}.token_env: environment variable ${source.token_env} is not set or empty; set it to the token`);
    }
    return sha256(value.trim());
  }
  const path = source.token_file as string;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuthConfigError(`${field}.token_file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // Files written by `echo` or secret mounts end with a newline that is not part of the token.
  const token = text.trim();
  if (token === '') throw new AuthConfigError(`${field}.token_file: ${path} is empty; write the token into it`);
  return sha256(token);
}
