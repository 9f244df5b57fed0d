import { access, writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import type { Config } from '../../config/schema.js';
import { LedgerLockedError } from '../../reconcile/errors.js';
import { fetchAnthropicReport } from '../../reconcile/fetch/anthropic.js';
import { fetchOpenAiReport } from '../../reconcile/fetch/openai.js';
import type { Period } from '../../reconcile/ledger-query.js';
import { dollarsToNanos } from '../../ledger/money.js';
import { readCostFile, readUsageFile } from '../../reconcile/parse/read-report.js';
import { type ProviderReport, type ReconcileProvider, mergeParts, reconcileProviders } from '../../reconcile/records.js';
import { renderCsv, renderSpreadCsv, renderTable } from '../../reconcile/render.js';
import { reconcile } from '../../reconcile/run.js';
import type { ScopeRequest } from '../../reconcile/scope.js';
import { storeRun } from '../../reconcile/store.js';
import type { Tolerance } from '../../reconcile/tolerance.js';
import { type Database, openDatabase } from '../../store/database.js';
import { UsageError } from '../errors.js';
import { collect } from '../options.js';

interface ReconcileFlags {
  config?: string;
  db?: string;
  provider: ReconcileProvider;
  usage: string[];
  costs: string[];
  fetch?: boolean;
  date?: string;
  since?: string;
  until?: string;
  spreadMonth?: string;
  csv?: string;
  spreadCsv?: string;
  by: ScopeRequest;
}

const DAY_MS = 86_400_000;

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description(
      "compare the ledger with the provider's own usage and cost reports per UTC day, model and project; " +
        'exit 0 within tolerance, 1 beyond it, 2 when it could not reconcile',
    )
    .addOption(new Option('--provider <name>', 'whose reports').choices([...reconcileProviders]).makeOptionMandatory())
    .option('--usage <file>', 'usage report: saved API pages (JSON, JSON array or JSON Lines); repeatable', collect, [])
    .option('--costs <file>', "cost report: saved API pages, or OpenAI's Cost CSV export; repeatable", collect, [])
    .option('--fetch', "fetch both reports from the provider's admin API (reconcile.<provider>.admin_key)")
    .option('--date <day>', 'one UTC day, YYYY-MM-DD')
    .option('--since <day>', 'first UTC day, YYYY-MM-DD (default: the first day the reports cover; yesterday with --fetch)')
    .option('--until <day>', 'end UTC day, exclusive (default: the day after the last one covered; today with --fetch)')
    .option('--spread-month <month>', "YYYY-MM: reconcile that month and spread its unexplained remainder over teams by direct spend")
    .option('--csv <file>', 'write every compared cell as CSV')
    .option('--spread-csv <file>', 'write the month chargeback (with --spread-month) as CSV')
    .addOption(new Option('--by <dimension>', 'join on project/workspace or API key').choices(['auto', 'project', 'api_key', 'none']).default('auto'))
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'DuckDB file (default: storage.db from the config)')
    .action(async (flags: ReconcileFlags) => {
      const config = await loadConfig(flags.config);
      const fileInputs = [...flags.usage, ...flags.costs];
      if (flags.fetch && fileInputs.length > 0) throw new UsageError('--fetch and --usage/--costs exclude each other: fetch the reports or read them from files');
      if (!flags.fetch && fileInputs.length === 0) throw new UsageError('give --usage and/or --costs files, or --fetch');
      if (flags.spreadCsv !== undefined && flags.spreadMonth === undefined) throw new UsageError('--spread-csv needs --spread-month');
      // Reports are read (and fully validated) before the ledger is opened: a bad file changes nothing.
      const { report, period, inputs } = flags.fetch ? await fetchInput(flags, config) : await fileInput(flags);
      const db = await openLedger(flags.db ?? config.storage.db);
      try {
        const run = await reconcile(db.connection, {
          provider: flags.provider,
          report,
          period,
          scope: flags.by,
          tolerance: toleranceFrom(config),
          settleMs: config.reconcile.settle,
          runAt: new Date(),
          source: flags.fetch ? 'api' : 'files',
          inputs,
          spreadMonth: flags.spreadMonth ?? null,
        });
        await storeRun(db.connection, run);
        process.stdout.write(renderTable(run));
        if (flags.csv !== undefined) await writeFile(flags.csv, renderCsv(run));
        if (flags.spreadCsv !== undefined) await writeFile(flags.spreadCsv, renderSpreadCsv(run));
        process.exitCode = run.withinTolerance ? 0 : 1;
      } finally {
        await db.close();
      }
    });
}

/** The period the flags ask for; a null end means "up to the reports' last day" (files) or "today" (fetch). */
interface Input {
  report: ProviderReport;
  period: Period;
  inputs: string[];
}

async function fetchInput(flags: ReconcileFlags, config: Config): Promise<Input> {
  const requested = requestedPeriod(flags);
  const today = new Date().toISOString().slice(0, 10);
  const period = checked(requested === null ? { start: addDays(today, -1), end: today } : { start: requested.start, end: requested.end ?? today });
  return { report: await fetchReport(flags.provider, period, config), period, inputs: [config.reconcile[flags.provider].base_url] };
}

async function fileInput(flags: ReconcileFlags): Promise<Input> {
  const requested = requestedPeriod(flags);
  const report: ProviderReport = {
    provider: flags.provider,
    usage: mergeParts(await Promise.all(flags.usage.map((file) => readUsageFile(flags.provider, file)))),
    costs: mergeParts(await Promise.all(flags.costs.map((file) => readCostFile(flags.provider, file)))),
  };
  const covered = coveredPeriod(report);
  const period = checked(requested === null ? covered : { start: requested.start, end: requested.end ?? covered.end });
  return { report, period, inputs: [...flags.usage, ...flags.costs] };
}

function checked(period: Period): Period {
  if (period.end <= period.start) throw new UsageError(`the period ${period.start} … ${period.end} (end exclusive) is empty: check --since and --until`);
  return period;
}

function requestedPeriod(flags: ReconcileFlags): { start: string; end: string | null } | null {
  const given = [flags.date !== undefined, flags.since !== undefined || flags.until !== undefined, flags.spreadMonth !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('use one of --date, --since/--until and --spread-month');
  if (flags.spreadMonth !== undefined) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(flags.spreadMonth)) throw new UsageError(`--spread-month: expected YYYY-MM, got "${flags.spreadMonth}"`);
    const start = `${flags.spreadMonth}-01`;
    const next = new Date(`${start}T00:00:00Z`);
    next.setUTCMonth(next.getUTCMonth() + 1);
    return { start, end: next.toISOString().slice(0, 10) };
  }
  if (flags.date !== undefined) {
    const day = parseDay('--date', flags.date);
    return { start: day, end: addDays(day, 1) };
  }
  if (flags.since === undefined && flags.until === undefined) return null;
  const since = flags.since === undefined ? null : parseDay('--since', flags.since);
  const until = flags.until === undefined ? null : parseDay('--until', flags.until);
  if (since === null) throw new UsageError('--until needs --since');
  if (until !== null && until <= since) throw new UsageError(`--until (${until}) must be after --since (${since}); it is exclusive`);
  return { start: since, end: until };
}

function coveredPeriod(report: ProviderReport): Period {
  const days = [...(report.usage?.days ?? []), ...(report.costs?.days ?? [])].sort();
  const first = days[0];
  const last = days.at(-1);
  if (first === undefined || last === undefined) throw new UsageError('the reports contain no time buckets: nothing to compare');
  return { start: first, end: addDays(last, 1) };
}

async function fetchReport(provider: ReconcileProvider, period: Period, config: Config): Promise<ProviderReport> {
  const settings = config.reconcile[provider];
  const envName = provider === 'openai' ? 'OPENAI_ADMIN_KEY' : 'ANTHROPIC_ADMIN_KEY';
  const adminKey = settings.admin_key ?? process.env[envName];
  if (!adminKey) {
    throw new UsageError(`--fetch needs an admin key: set reconcile.${provider}.admin_key in the config (e.g. "\${env:${envName}}") or the ${envName} variable`);
  }
  const options = { adminKey, baseUrl: settings.base_url };
  return provider === 'openai' ? fetchOpenAiReport(period, options) : fetchAnthropicReport(period, options);
}

function toleranceFrom(config: Config): Tolerance {
  const { percent, min_usd: minUsd, min_tokens: minTokens, min_requests: minRequests } = config.reconcile.tolerance;
  return { percent, minUsdNanos: dollarsToNanos(String(minUsd)) ?? 0n, minTokens: BigInt(minTokens), minRequests: BigInt(minRequests) };
}

async function openLedger(path: string): Promise<Database> {
  if (path !== ':memory:') {
    try {
      await access(path);
    } catch {
      throw new UsageError(`no ledger at ${path}: give --db FILE or set storage.db in the config`);
    }
  }
  try {
    return await openDatabase(path);
  } catch (error) {
    if (error instanceof Error && /Could not set lock|Conflicting lock/i.test(error.message)) throw new LedgerLockedError(path);
    throw error;
  }
}

function parseDay(flag: string, value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new UsageError(`${flag}: expected a UTC day like 2025-08-01, got "${value}"`);
  }
  return value;
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
