/**
 * The preload: `node --import @genai-chargeback/instrumentation/register app.js` (ESM or CommonJS apps).
 * Starts the trace SDK from the `OTEL_*` variables with the GenAI, HTTP and fetch instrumentations, and flushes
 * spans on exit. It never stops the app: if anything fails here the app runs uninstrumented, with a warning.
 */
import { getBooleanFromEnv } from '@opentelemetry/core';
import { register } from 'node:module';
import { readSettings } from './config/env.js';
import { flushOnExit } from './sdk/exit.js';
import { startSdk } from './sdk/start.js';

/** Modules whose ESM exports must be hookable; CommonJS loads are hooked through require either way. */
const ESM_HOOKED_MODULES = ['openai', '@anthropic-ai/sdk', 'http', 'https'];

const warn = (message: string): void => process.emitWarning(message, { code: 'GENAI_CHARGEBACK' });

function start(): void {
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return;
  const { settings, problems } = readSettings();
  for (const problem of problems) warn(problem);
  try {
    // The loader must be in place before the app's own imports; --import runs this module first.
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ESM_HOOKED_MODULES } });
    flushOnExit(startSdk(settings, warn), settings.shutdownTimeoutMs);
  } catch (error) {
    warn(`@genai-chargeback/instrumentation could not start, the app runs without it: ${error instanceof Error ? error.message : String(error)}`);
  }
}

start();
