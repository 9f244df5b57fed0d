import { diag } from '@opentelemetry/api';
import type { ModelCall } from './model-call.js';
import type { CallOutcome } from './outcome.js';

/**
 * Calls whose response arrived but which the app has not read to the end: a stream it has not finished, a response
 * it has not parsed. A span never ended is never exported, yet the call was billed, so when the process is about to
 * end these are ended with what was received so far. Each entry leaves when its call ends, and every call put here
 * also ends when the garbage collector takes what the app held, so the map never outgrows the unread results.
 */
const unfinished = new Map<ModelCall, () => CallOutcome>();

export function trackUnfinished(call: ModelCall, receivedSoFar: () => CallOutcome): void {
  if (call.hasEnded) return;
  unfinished.set(call, receivedSoFar);
  call.whenEnded(() => unfinished.delete(call));
}

/** Ends every unfinished call with what it received so far (usage unknown unless it arrived). */
export function endUnfinishedCalls(): void {
  for (const [call, receivedSoFar] of [...unfinished]) endWithReceived(call, receivedSoFar);
}

/** Runs outside any app code (exit hooks, the garbage collector): a throw here would be an uncaught exception in the host. */
export function endWithReceived(call: ModelCall, receivedSoFar: () => CallOutcome): void {
  try {
    call.succeed(receivedSoFar());
  } catch (error) {
    diag.error('@genai-chargeback/instrumentation: could not end the span of an unfinished call', error);
  }
}
