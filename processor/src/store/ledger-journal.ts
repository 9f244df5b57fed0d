import { constants, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const groupSuffix = '.csv';
const partialSuffix = '.partial';

/**
 * The write-ahead journal of `storage.ack: journal`: each group of rows the writer stages is a file here, made
 * durable (data and directory entry fsynced) before the group's exports are acknowledged, and removed once its
 * rows are committed to DuckDB. A file left here after a crash holds rows that were acknowledged and may not be
 * in the ledger yet; the writer replays it at start-up. A `.partial` file was never acknowledged (the crash came
 * while it was written) and is dropped: its clients retry.
 */
export class LedgerJournal {
  private sequence = 0;

  /** Rows DuckDB refused: kept, and not replayed until moved back. Made at the first refusal. */
  private readonly quarantineDir: string;

  private constructor(readonly dir: string) {
    this.quarantineDir = join(dir, 'quarantine');
  }

  static open(dir: string): LedgerJournal {
    const journal = new LedgerJournal(dir);
    mkdirSync(dir, { recursive: true });
    for (const each of [journal.dir, journal.quarantineDir].filter((path) => existsSync(path))) {
      for (const name of readdirSync(each)) {
        if (name.endsWith(partialSuffix)) rmSync(join(each, name), { force: true });
      }
    }
    return journal;
  }

  /**
   * Why groups cannot be written here now, or null. A directory removed under the process is not made again: the
   * acknowledged groups it held are gone, which an operator must know of (and a restart makes it anew).
   */
  async problem(): Promise<string | null> {
    try {
      await access(this.dir, constants.W_OK);
      return null;
    } catch (error) {
      return `journal directory ${this.dir} not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
  }

  /** Files a previous run acknowledged and did not commit, oldest first. */
  leftovers(): string[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(groupSuffix))
      .sort()
      .map((name) => join(this.dir, name));
  }

  /** Writes `content` as the next group file and returns its path once data and name survive a crash. */
  async append(content: Uint8Array): Promise<string> {
    const file = join(this.dir, `${this.nextName()}${groupSuffix}`);
    await writeDurably(file, content);
    return file;
  }

  /** Names sort in write order across restarts: the start time, then a counter. */
  private nextName(): string {
    return `${Date.now().toString().padStart(15, '0')}-${(this.sequence++).toString().padStart(9, '0')}`;
  }

  /**
   * Keeps rows DuckDB refused (they were acknowledged) in `quarantine/`, durably, and returns the file's path. Moved
   * back into the journal directory once fixed, a file is committed at the next start (rows already stored skipped).
   */
  async quarantine(content: Uint8Array): Promise<string> {
    await this.makeQuarantineDir();
    const file = join(this.quarantineDir, `${this.nextName()}${groupSuffix}`);
    await writeDurably(file, content);
    return file;
  }

  /** Moves a journal file DuckDB refuses into `quarantine/` (start-up: the file is not split, good rows and all). */
  async quarantineFile(file: string): Promise<string> {
    await this.makeQuarantineDir();
    const target = join(this.quarantineDir, basename(file));
    await rename(file, target);
    await syncDirectory(this.quarantineDir);
    await syncDirectory(this.dir);
    return target;
  }

  /** The directory's own entry must survive a crash too, before a file in it is trusted to. */
  private async makeQuarantineDir(): Promise<void> {
    mkdirSync(this.quarantineDir, { recursive: true });
    await syncDirectory(this.dir);
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}

/** Writes a `.partial` file, fsyncs it, then renames it into place: `file` exists only whole, and survives a crash. */
async function writeDurably(file: string, content: Uint8Array): Promise<void> {
  const partial = `${file.slice(0, -groupSuffix.length)}${partialSuffix}`;
  const handle = await open(partial, 'w');
  try {
    await handle.writeFile(content);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  await syncDirectory(dirname(file));
}

/** A rename is durable only once the directory holding it is fsynced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
