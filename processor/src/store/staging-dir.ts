import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Files handed to DuckDB's readers (read_csv, read_json), which parse them on DuckDB's threads several times faster
 * than a scalar function parses the same text bound as a parameter. On tmpfs when there is one (memory, not disk),
 * else in the temp directory; each directory is named for its process so a later start can sweep what a killed one
 * left.
 */
export const stagingRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const stagingPrefix = 'genai-chargeback-stage-';

export class StagingDir {
  private dir: string | null = null;

  /**
   * The path of `name` in this directory, which is made on first use, and again if it was removed under the
   * process (a cleaner of /dev/shm or the temp directory): its files live for one commit, so nothing is lost.
   */
  file(name: string): string {
    if (this.dir === null || !existsSync(this.dir)) this.dir = mkdtempSync(join(stagingRoot, `${stagingPrefix}${process.pid}-`));
    return join(this.dir, name);
  }

  remove(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/** Removes staging directories of processes that no longer run (a kill -9 leaves its last files). */
export function sweepStagingLeftovers(): void {
  for (const name of readdirSync(stagingRoot)) {
    if (!name.startsWith(stagingPrefix)) continue;
    const pid = Number(name.slice(stagingPrefix.length).split('-')[0]);
    if (Number.isInteger(pid) && !isRunning(pid)) rmSync(join(stagingRoot, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `path` as a SQL string literal. */
export function sqlPath(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
