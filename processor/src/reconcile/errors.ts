import { UserError } from '../errors.js';

/**
 * Every reconciliation error is one the CLI reports as its message with exit code 2 ("could not reconcile"), so a
 * daily job tells them apart from 1 ("reconciled, beyond tolerance").
 */

/** A provider report that cannot be read: names the file, the line and the field, so the user can fix or re-export it. */
export class ReportFormatError extends UserError {
  override name = 'ReportFormatError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    detail: string,
  ) {
    super(`${file}${line === null ? '' : ` line ${line}`}: ${detail}`);
  }
}

/** The provider's admin API refused or failed a request (after retries). */
export class ProviderApiError extends UserError {
  override name = 'ProviderApiError';
  constructor(
    readonly url: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`${redactQuery(url)}: ${detail}`);
  }
}

/** The DuckDB file is held by another process (a running `serve`): DuckDB allows one writer per file. */
export class LedgerLockedError extends UserError {
  override name = 'LedgerLockedError';
  constructor(readonly path: string) {
    super(
      `the ledger ${path} is locked by another process (is \`genai-chargeback serve\` running on it?). ` +
        'DuckDB allows one writer per file: run reconcile against a copy or while the service is stopped.',
    );
  }
}

/** Options that do not make sense together, or a period with nothing to compare. */
export class ReconcileInputError extends UserError {
  override name = 'ReconcileInputError';
}

function redactQuery(url: string): string {
  // Cursors can be long; the path is what identifies the failing call.
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : `${url.slice(0, queryStart)}?…`;
}
