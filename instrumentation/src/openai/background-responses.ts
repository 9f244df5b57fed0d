import { context } from '@opentelemetry/api';
import { MODEL_CALL_KEY, type ModelCallState } from '../genai/call-context.js';
import type { ModelCall } from '../genai/model-call.js';
import type { ResultFollower } from '../genai/observe.js';
import type { CallOutcome } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import { trackUnread } from '../genai/unfinished-calls.js';
import { readResponse } from './read-response.js';

/** Statuses of a background response still being generated; every other status is final. */
const RUNNING = new Set(['queued', 'in_progress']);

/**
 * Longest a background response's span waits for the app to see it finished. Past it (the app polls from another
 * process, or is told by a webhook) the call is reported without usage, unpriced, as the creation alone says.
 */
const MAX_WAIT_MS = 60 * 60_000;

interface Running {
  call: ModelCall;
  created: CallOutcome;
  timer: NodeJS.Timeout;
}

/**
 * Responses created with `background: true`: `responses.create` answers at once, queued, and the model works on;
 * the call is billed for what it used once it finishes, which the app learns by polling `responses.retrieve` (or
 * by cancelling it). The call's span stays open until then, so it carries the usage of the finished response,
 * one span for one billed call, rather than ending at creation without any.
 */
const running = new Map<string, Running>();

/** Holds `call` open when its response is still running in the background; false when it is finished. */
export function holdWhileRunning(data: unknown, call: ModelCall): boolean {
  const response = record(data);
  const id = text(response?.['id']);
  if (id === undefined || !RUNNING.has(text(response?.['status']) ?? '')) return false;
  const created = readResponse(response);
  const timer = setTimeout(() => finish(id, created), MAX_WAIT_MS);
  // A pending response must not keep the process alive; the exit hook ends its call (trackUnread).
  timer.unref();
  running.set(id, { call, created, timer });
  trackUnread(call, () => created);
  return true;
}

/**
 * Follows `responses.retrieve` and `responses.cancel`: a result no longer running ends its call. A poll of a
 * response whose call is open runs in a context that marks it part of that call, so, like the call's own
 * request, it carries no attribution baggage to the provider and no HTTP span, and it is not counted as an attempt.
 */
export const backgroundResponses: ResultFollower = {
  watching: () => running.size > 0,
  contextFor: (args) => {
    const id = args[0];
    return typeof id === 'string' && running.has(id) ? context.active().setValue(MODEL_CALL_KEY, POLL) : undefined;
  },
  see: (data) => {
    const response = record(data);
    const id = text(response?.['id']);
    if (id === undefined || RUNNING.has(text(response?.['status']) ?? '')) return;
    finish(id, readResponse(response));
  },
};

/** A poll is part of a model call but no attempt of it. */
const POLL: ModelCallState = { countAttempt: () => undefined };

function finish(id: string, outcome: CallOutcome): void {
  const entry = running.get(id);
  if (entry === undefined) return;
  running.delete(id);
  clearTimeout(entry.timer);
  entry.call.succeed(outcome);
}
