import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { toPortableSpans } from './portable-spans.js';

const EXPORTER_PROCESS = fileURLToPath(new URL('./exit-exporter-process.js', import.meta.url));
const requireBuiltin = createRequire(import.meta.url);

/**
 * Exports `spans` before the process is gone, from its `exit` event, where nothing asynchronous runs any more: a
 * short-lived child process exports them with the same exporters and `OTEL_*` settings, and this one waits for it,
 * at most `timeoutMs`. Spans the batch processor was already sending may arrive twice; the processor stores a call
 * once by (trace_id, span_id).
 */
export function exportAtExit(spans: readonly ReadableSpan[], timeoutMs: number): void {
  if (!canRunNodeChild()) return;
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
    env: childEnv(process.env),
    // stdout for the console exporter; stderr only through diag, so the app's own output stays as it was.
    stdio: ['pipe', 'inherit', 'pipe'],
    timeout: Math.max(1, timeoutMs),
    killSignal: 'SIGKILL',
    windowsHide: true,
  });
  const stderr = result.stderr?.toString().trim() ?? '';
  if (result.error !== undefined) diag.warn(`@genai-chargeback/instrumentation: spans not exported at exit: ${result.error.message}`);
  else if (result.status !== 0) diag.warn(`@genai-chargeback/instrumentation: ${spans.length} spans not exported at exit (exporter status ${result.status ?? result.signal}) ${stderr}`);
  else if (stderr !== '') diag.debug(`@genai-chargeback/instrumentation: exporter at exit: ${stderr}`);
}

/** Node flags that would make the child run more than the exporter: preloads, loaders, the inspector. */
const PRELOAD_OR_DEBUG_FLAG = /^(--import|--require|-r|--loader|--experimental-loader|--inspect(-brk|-wait)?|--inspect-port|--debug-port)(=|$)/;
const FLAG_TAKING_NEXT_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * The child's environment: the app's (for the `OTEL_*` settings, proxies, CA certificates), with the
 * preloads and the inspector taken out of NODE_OPTIONS (the instrumentation itself is often loaded there; the
 * child must not start the SDK or the app's other preloads), and Electron told to run as Node.
 */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: string[] = [];
  const words = splitNodeOptions(env['NODE_OPTIONS'] ?? '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!PRELOAD_OR_DEBUG_FLAG.test(word)) kept.push(word);
    else if (FLAG_TAKING_NEXT_VALUE.has(word)) i++;
  }
  return { ...env, NODE_OPTIONS: kept.map(quoteNodeOption).join(' '), OTEL_SDK_DISABLED: 'true', ELECTRON_RUN_AS_NODE: '1' };
}

/**
 * NODE_OPTIONS split as Node splits it: on whitespace outside double quotes; inside them a backslash escapes the
 * next character (`--require "C:\\Program Files\\x.cjs"`). Written here: Node does not expose its parser.
 */
export function splitNodeOptions(value: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    if (quoted && char === '\\' && i + 1 < value.length) {
      word += value[++i];
    } else if (char === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function quoteNodeOption(word: string): string {
  return /[\s"\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word;
}

/** A single-executable app's `process.execPath` is the app itself, not node: it cannot run the exporter. */
function canRunNodeChild(): boolean {
  try {
    const sea = requireBuiltin('node:sea') as { isSea?: () => boolean };
    return sea.isSea?.() !== true;
  } catch {
    return true;
  }
}
