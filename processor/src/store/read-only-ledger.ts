import { UserError } from '../errors.js';
import { openDatabase, type Database } from './database.js';

/** The ledger file cannot be read: missing, unreadable, or the running service cannot be reached. */
export class LedgerUnavailableError extends UserError {
  override name = 'LedgerUnavailableError';
}

/**
 * Opens the ledger read-only for a CLI command. DuckDB lets one process hold a file it writes, so while
 * `serve` runs the open fails with a lock conflict: then this returns null and the caller asks the service
 * over HTTP instead.
 */
export async function openLedgerReadOnly(db: string): Promise<Database | null> {
  try {
    return await openDatabase(db, { readOnly: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/Could not set lock|Conflicting lock/i.test(message)) return null;
    if (/does not exist/i.test(message)) {
      throw new LedgerUnavailableError(`no ledger at ${db}: pass --db (or --config) naming the file serve writes`);
    }
    throw new LedgerUnavailableError(`cannot open ${db}: ${message}`);
  }
}

export function heldByServiceNote(db: string, url: string): string {
  return `${db} is held by a running service; asking it at ${url}`;
}
