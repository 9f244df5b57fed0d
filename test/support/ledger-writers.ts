import { afterEach } from 'vitest';
import type { Database } from '../../processor/src/store/database.js';
import type { LedgerWriter } from '../../processor/src/store/ledger-writer.js';

export interface OpenLedger {
  db: Database;
  writer?: LedgerWriter;
}

/** A list a test adds its ledgers to; each is closed, writer first, after every test of the file. */
export function closedAfterEach(): OpenLedger[] {
  const open: OpenLedger[] = [];
  afterEach(async () => {
    for (const { db, writer } of open.splice(0)) {
      await writer?.close().catch(() => undefined);
      await db.close();
    }
  });
  return open;
}

/** Holds the writer's commits back (a task between commits that waits) until the returned function is called. */
export function holdCommits(writer: LedgerWriter): () => void {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  void writer.runBetweenCommits(() => released);
  return release;
}
