import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** A config problem the user must fix; the message names the file, the field and what is wrong. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
}

const envReference = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Reads a YAML (or JSON) config file; no file means every default. */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  if (path === undefined) return parseConfig({}, '(defaults)');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  return parseConfig(substituteEnv(raw, env, path, []), path);
}

export function parseConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  return result.data;
}

export function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  ${field}: ${issue.message}`;
  });
  return `${source}: invalid configuration\n${lines.join('\n')}`;
}

/** `${env:NAME}` in any string value is replaced by the variable; an unset variable is an error, not "". */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, source: string, path: Array<string | number>): unknown {
  if (typeof value === 'string') {
    return value.replace(envReference, (_, name: string) => {
      const replacement = env[name];
      if (replacement === undefined) {
        throw new ConfigError(`${source}: ${path.join('.')}: environment variable ${name} is not set`);
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, source, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, source, [...path, key])]),
    );
  }
  return value;
}
