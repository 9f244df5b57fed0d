import { diag } from '@opentelemetry/api';
import type { ModelCall } from './model-call.js';
import type { CallOutcome } from './outcome.js';

/**
 * Calls not yet ended, each with how to end it should the process end first: a span never ended is never exported,
 * yet the call was made and billed. A call waits here for its response, and then while the app has not read that
 * response to the end (a stream it has not finished, a response it has not parsed). Each entry leaves when its call
 * ends; a response the app drops unread is ended when the garbage collector takes it, so none stays for good.
 */
const unfinished = new Map<ModelCall, () => void>();

/** The `error.type` of a call whose response had not arrived when the process ended. */
class ProcessEndedFirst extends Error {
  readonly code = 'process_ended';
}

/** Tracks a call whose request is under way: ended as failed, usage unknown, if the process ends first. */
export function trackInFlight(call: ModelCall): void {
  track(call, () => call.fail(new ProcessEndedFirst('the process ended before the response arrived')));
}

/** Tracks a call whose response arrived but is not read to its end: ended with what was received if the process ends first. */
export function trackUnread(call: ModelCall, receivedSoFar: () => CallOutcome): void {
  track(call, () => call.succeed(receivedSoFar()));
}

function track(call: ModelCall, endAtExit: () => void): void {
  if (call.hasEnded) return;
  unfinished.set(call, endAtExit);
  call.whenEnded(() => unfinished.delete(call));
}

export function hasUnfinishedCalls(): boolean {
  return unfinished.size > 0;
}

/** Ends every call not yet ended, as its last tracked state says; for the exit hook, when nothing else will. */
export function endUnfinishedCalls(): void {
  for (const endAtExit of [...unfinished.values()]) endGuarded(endAtExit);
}

/** Ends a call the app dropped unread, for the garbage collector's callback. */
export function endWithReceived(call: ModelCall, receivedSoFar: () => CallOutcome): void {
  endGuarded(() => call.succeed(receivedSoFar()));
}

/** Runs outside any app code (exit hooks, the garbage collector): a throw here would be an uncaught exception in the host. */
function endGuarded(end: () => void): void {
  try {
    end();
  } catch (error) {
    diag.error('@genai-chargeback/instrumentation: could not end the span of an unfinished call', error);
  }
}
