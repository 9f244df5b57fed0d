/**
 * Runs an app of test/e2e/apps as users run it (`node --import @genai-chargeback/instrumentation/register app`)
 * and talks to it in JSON lines: commands on stdin, one answer a line on stdout.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../instrumentation/run-app.js';

export type Line = Record<string, unknown>;

export interface InstrumentedApp {
  /** The next JSON line the app prints (rejects if the app exits first). */
  nextLine(): Promise<Line>;
  /** Writes a command and resolves with the app's answer. */
  request(command: Line): Promise<Line>;
  /** Closes stdin, which ends an app that reads commands, and waits for the exit code. */
  end(): Promise<number | null>;
  /** SIGKILL if still running (afterAll). */
  kill(): void;
  stderr(): string;
}

export function startApp(file: string, env: Record<string, string>, timeoutMs = 45_000): InstrumentedApp {
  const child = spawn(process.execPath, ['--import', '@genai-chargeback/instrumentation/register', fileURLToPath(new URL(`./apps/${file}`, import.meta.url))], {
    cwd: REPO_ROOT,
    // Only what the app needs: no OTEL_* settings inherited from the machine running the tests.
    env: { PATH: process.env['PATH'], NODE_ENV: 'production', OTEL_NODE_RESOURCE_DETECTORS: 'env,process', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const buffered: Line[] = [];
  const waiting: Array<(line: Line) => void> = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as Line;
    const next = waiting.shift();
    if (next === undefined) buffered.push(line);
    else next(line);
  });
  // A hung app must not outlive the test run.
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );

  const nextLine = (): Promise<Line> => {
    const ready = buffered.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return Promise.race([
      new Promise<Line>((resolve) => waiting.push(resolve)),
      exited.then((code) => {
        throw new Error(`${file} exited with ${code} before answering:\n${stderr}`);
      }),
    ]);
  };

  return {
    nextLine,
    request(command) {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return nextLine();
    },
    end() {
      child.stdin.end();
      return exited;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stderr: () => stderr,
  };
}
