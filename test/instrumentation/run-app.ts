/** Runs a small app as a child process, as users run it: `node --import @genai-chargeback/instrumentation/register app`. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER = fileURLToPath(new URL('../../instrumentation/dist/register.js', import.meta.url));

export function appPath(name: string): string {
  return fileURLToPath(new URL(`./apps/${name}`, import.meta.url));
}

export interface AppRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout lines that are JSON objects, parsed. */
  lines: Record<string, unknown>[];
  durationMs: number;
}

export interface AppOptions {
  env?: Record<string, string | undefined>;
  /** Run under the preload (default true). */
  instrumented?: boolean;
  timeoutMs?: number;
  /** Called with each stdout line as it arrives, and the child, e.g. to send a signal once the app is ready. */
  onLine?: (line: string, child: { kill(signal: NodeJS.Signals): boolean }) => void;
}

export function runApp(app: string, options: AppOptions = {}): Promise<AppRun> {
  if (!existsSync(REGISTER)) throw new Error('instrumentation/dist is missing: run `npm run build -w instrumentation` first');
  const args = [...(options.instrumented === false ? [] : ['--import', '@genai-chargeback/instrumentation/register']), appPath(app)];
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // Only what the app needs: no inherited OTEL_* settings from the machine running the tests.
    env: { PATH: process.env['PATH'], NODE_ENV: 'production', OTEL_NODE_RESOURCE_DETECTORS: 'env,process', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      options.onLine?.(pending.slice(0, newline), child);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, lines: parseLines(stdout), durationMs: Date.now() - started });
    });
  });
}

function parseLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}
