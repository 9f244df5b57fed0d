import { openDatabase, type Database } from '../store/database.js';
import type { ReportCatalog } from './catalog.js';
import { LedgerUnavailableError } from './errors.js';
import { executeReport } from './execute-report.js';
import type { RawParameters } from './parameters.js';
import { fetchReport } from './remote.js';
import type { ReportResult } from './report-result.js';
import { runReport, type RunReport } from './runner.js';

/** Where the CLI reads reports from: the DuckDB file itself, or the service that holds it. */
export interface ReportSource {
  /** For the user, on stderr: which of the two was used. */
  description: string;
  run(name: string, raw: RawParameters): Promise<ReportResult>;
  close(): Promise<void>;
}

/**
 * Opens the ledger file read-only when it can. DuckDB lets one process hold a file it writes, so while
 * `serve` runs the open fails with a lock conflict; then the reports go through the service's HTTP API.
 */
export async function openReportSource(options: { db: string; url: string; catalog: ReportCatalog }): Promise<ReportSource> {
  let database: Database;
  try {
    database = await openDatabase(options.db, { readOnly: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/Could not set lock|Conflicting lock/i.test(message)) return remoteSource(options.db, options.url);
    if (/does not exist/i.test(message)) {
      throw new LedgerUnavailableError(`no ledger at ${options.db}: pass --db (or --config) naming the file serve writes`);
    }
    throw new LedgerUnavailableError(`cannot open ${options.db}: ${message}`);
  }
  const run: RunReport = (report, values) => runReport(database.connection, report, values);
  return {
    description: `reading ${options.db} directly (read-only)`,
    run: (name, raw) => executeReport({ catalog: options.catalog, run }, name, raw),
    close: () => database.close(),
  };
}

function remoteSource(db: string, url: string): ReportSource {
  return {
    description: `${db} is held by a running service; asking it at ${url}`,
    run: (name, raw) => fetchReport(url, name, raw),
    close: async () => {},
  };
}
