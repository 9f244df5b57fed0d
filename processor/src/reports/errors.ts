import { UserError } from '../errors.js';

/** No report by that name in queries/. */
export class UnknownReportError extends UserError {
  override name = 'UnknownReportError';
  constructor(
    readonly report: string,
    known: readonly string[],
  ) {
    super(`no report named "${report}"; reports: ${known.join(', ')}`);
  }
}

/** Parameters that do not fit the report: one line per problem, each naming the parameter and the fix. */
export class ReportParameterError extends UserError {
  override name = 'ReportParameterError';
  constructor(
    readonly report: string,
    readonly problems: readonly string[],
  ) {
    super(`${report}: ${problems.join('; ')}`);
  }
}

/** A query file whose header or parameters break the report contract (a defect in queries/, not user input). */
export class ReportDefinitionError extends Error {
  override name = 'ReportDefinitionError';
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

/** The ledger cannot be read: no DuckDB file there, or the running service's API did not answer. */
export { LedgerUnavailableError } from '../store/read-only-ledger.js';
