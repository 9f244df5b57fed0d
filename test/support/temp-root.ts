import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: every temp directory of the run (ledgers, configs, fixtures; `os.tmpdir()` reads TMPDIR
 * each call) goes under one root that is removed when the run ends, so test runs do not pile ledgers up in /tmp.
 * Workers and the processors they start inherit TMPDIR.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'genai-chargeback-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
