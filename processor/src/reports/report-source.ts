import { heldByServiceNote, openLedgerReadOnly } from '../store/read-only-ledger.js';
import type { ReportCatalog } from './catalog.js';
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

/** The ledger file read-only when it can be opened, else (held by `serve`) the service's HTTP API. */
export async function openReportSource(options: { db: string; url: string; catalog: ReportCatalog }): Promise<ReportSource> {
  const database = await openLedgerReadOnly(options.db);
  if (database === null) return remoteSource(options.db, options.url);
  const run: RunReport = (report, values) => runReport(database.connection, report, values);
  return {
    description: `reading ${options.db} directly (read-only)`,
    run: (name, raw) => executeReport({ catalog: options.catalog, run }, name, raw),
    close: () => database.close(),
  };
}

function remoteSource(db: string, url: string): ReportSource {
  return {
    description: heldByServiceNote(db, url),
    run: (name, raw) => fetchReport(url, name, raw),
    close: async () => {},
  };
}
