import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { parameterDefinitions, type RawParameters } from '../../reports/parameters.js';
import { collect } from '../options.js';

/** Where `query` and `report` find the ledger: --db (or the config's storage.db) and the service's --url. */
export interface LedgerOptions {
  config?: string;
  db?: string;
  url?: string;
}

export function addLedgerOptions(command: Command): Command {
  return command
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'DuckDB file (default: storage.db from the config)')
    .option('--url <url>', 'the running service, used when it holds the DuckDB file (default: its HTTP address from the config)');
}

export async function resolveLedger(options: LedgerOptions): Promise<{ db: string; url: string }> {
  const config = await loadConfig(options.config);
  const host = ['0.0.0.0', '::', ''].includes(config.receivers.host) ? '127.0.0.1' : config.receivers.host;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { db: options.db ?? config.storage.db, url: options.url ?? `http://${hostPart}:${config.receivers.http.port}` };
}

/** `platform_team` → `--platform-team`; commander hands it back as `platformTeam`. */
function flagOf(name: string): string {
  return `--${name.replaceAll('_', '-')}`;
}

function optionKeyOf(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** One option per report parameter, so every report's parameters are flags with the same spelling. */
export function addParameterOptions(command: Command, names: readonly string[], describe: (name: string) => string): Command {
  for (const name of names) {
    const definition = parameterDefinitions.get(name);
    if (definition === undefined) continue;
    const flag = `${flagOf(name)} <${definition.placeholder}>`;
    if (definition.repeatable) command.option(flag, `${describe(name)} (repeatable)`, collect, []);
    else command.option(flag, describe(name));
  }
  return command;
}

/** The parameters given on the command line, keyed by parameter name; options not given are left out. */
export function parametersFromOptions(options: Record<string, unknown>, names: readonly string[]): RawParameters {
  const raw: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = options[optionKeyOf(name)];
    if (typeof value === 'string') raw[name] = value;
    else if (Array.isArray(value) && value.length > 0) raw[name] = value.map(String);
  }
  return raw;
}
