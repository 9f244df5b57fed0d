import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../processor/dist/cli/main.js', import.meta.url));

export interface ProcessorProcess {
  child: ChildProcess;
  httpUrl: string;
  grpcAddress: string;
  dbPath: string;
  /** Every JSON log line the processor wrote to stderr. */
  logs: Array<Record<string, unknown>>;
  /** SIGTERM (graceful) and wait for the exit code, or the signal that ended the process. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

/** Processors still running when the test process exits (a crash included) are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `genai-chargeback serve` (the built CLI) on free loopback ports and waits until it listens. */
export async function startProcessor(
  options: { dbPath?: string; args?: string[]; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<ProcessorProcess> {
  const dbPath = options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'gc-e2e-')), 'ledger.duckdb');
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), cliPath, 'serve', '--db', dbPath, '--http-port', '0', '--grpc-port', '0', ...(options.args ?? [])],
    { env: { ...process.env, LOG_LEVEL: 'info', ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  const listening = new Promise<{ http: { port: number }; grpc: { port: number } }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`processor did not start:\n${JSON.stringify(logs)}`)), 20_000);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === 'genai-chargeback listening') {
        clearTimeout(timer);
        resolve(entry as unknown as { http: { port: number }; grpc: { port: number } });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`processor exited with ${code} before listening:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    });
  });
  const ready = await listening;
  return {
    child,
    httpUrl: `http://127.0.0.1:${ready.http.port}`,
    grpcAddress: `127.0.0.1:${ready.grpc.port}`,
    dbPath,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
