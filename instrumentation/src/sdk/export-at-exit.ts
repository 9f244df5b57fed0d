import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toPortableSpans } from './portable-spans.js';

const EXPORTER_PROCESS = fileURLToPath(new URL('./exit-exporter-process.js', import.meta.url));

/**
 * Exports `spans` before the process is gone, from its `exit` event, where nothing asynchronous runs any more: a
 * short-lived child process exports them with the same exporters and `OTEL_*` settings, and this one waits for it,
 * at most `timeoutMs`. Spans the batch processor was already sending may arrive twice; the processor stores a call
 * once by (trace_id, span_id).
 */
export function exportAtExit(spans: readonly ReadableSpan[], timeoutMs: number): void {
  let input: string;
  try {
    input = JSON.stringify(toPortableSpans(spans));
  } catch (error) {
    // A throw in the exit event would change how the process ends.
    diag.error('@genai-chargeback/instrumentation: could not prepare the spans left at exit', error);
    return;
  }
  const result = spawnSync(process.execPath, [EXPORTER_PROCESS], {
    input,
    // The child must not start the SDK itself, as it would through a preload in NODE_OPTIONS.
    env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    stdio: ['pipe', 'inherit', 'inherit'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    windowsHide: true,
  });
  if (result.error !== undefined) diag.warn(`@genai-chargeback/instrumentation: spans not exported at exit: ${result.error.message}`);
  else if (result.status !== 0) diag.warn(`@genai-chargeback/instrumentation: ${spans.length} spans not exported at exit (exporter status ${result.status ?? result.signal})`);
}
