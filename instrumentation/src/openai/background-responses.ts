import { context } from '@opentelemetry/api';
import { MODEL_CALL_KEY, type ModelCallState } from '../genai/call-context.js';
import type { ModelCall } from '../genai/model-call.js';
import { watchStream, type ResultFollower } from '../genai/observe.js';
import type { CallOutcome } from '../genai/outcome.js';
import { record, text } from '../genai/read.js';
import { trackUnread } from '../genai/unfinished-calls.js';
import { FINAL_RESPONSE_EVENTS, readResponse } from './read-response.js';

/** Statuses of a background response still being generated; every other status is final. */
const RUNNING = new Set(['queued', 'in_progress']);

/**
 * Longest a background response's span waits, since its creation or the app's last poll of it, for the app to see it
 * finished. Past it (the app polls from another process, or is told by a webhook) the call is reported without
 * usage, unpriced, as far as it was seen.
 */
const MAX_WAIT_MS = 60 * 60_000;
/** Most background responses waited for at once; past it the oldest is reported as far as it was seen. */
const MAX_RUNNING = 10_000;

interface Running {
  call: ModelCall;
  seen: CallOutcome;
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
  holdUntilFinished(id, call, readResponse(response));
  return true;
}

/** Holds `call` open until the app sees response `id` finished; `seen` is what it is reported with if it never does. */
export function holdUntilFinished(id: string, call: ModelCall, seen: CallOutcome): void {
  // A stream closed twice (`return()` after an error) hands the same call over again.
  if (running.get(id)?.call === call) return;
  // Ids are unique; a replaying cache or test double could repeat one: the earlier call is reported as seen.
  end(id);
  const timer = setTimeout(() => end(id), MAX_WAIT_MS);
  // A pending response must not keep the process alive; the exit hook ends its call (trackUnread).
  timer.unref();
  running.set(id, { call, seen, timer });
  trackUnread(call, () => seen);
  if (running.size > MAX_RUNNING) end(running.keys().next().value as string);
}

/**
 * Follows `responses.retrieve` (plain, or a stream resumed) and `responses.cancel`: a result no longer running
 * ends its call. A poll of a response whose call is open runs in a context that marks it part of that call, so,
 * like the call's own request, it carries no attribution baggage to the provider and no HTTP span, and it is not
 * counted as an attempt; and the wait for it starts again.
 */
export const backgroundResponses: ResultFollower = {
  watching: () => running.size > 0,
  contextFor: (args) => {
    const entry = typeof args[0] === 'string' ? open(args[0]) : undefined;
    if (entry === undefined) return undefined;
    entry.timer.refresh();
    return context.active().setValue(MODEL_CALL_KEY, POLL);
  },
  see: (data) => {
    // A stream resumed with `retrieve(id, { stream: true })`: its final event carries the finished response.
    if (watchStream(data, seeResumedEvent)) return;
    const response = record(data);
    const id = text(response?.['id']);
    if (id === undefined || RUNNING.has(text(response?.['status']) ?? '')) return;
    end(id, readResponse(response));
  },
};

function seeResumedEvent(item: unknown): void {
  const event = record(item);
  if (!FINAL_RESPONSE_EVENTS.has(text(event?.['type']) ?? '')) return;
  const response = record(event?.['response']);
  const id = text(response?.['id']);
  if (id !== undefined) end(id, readResponse(response));
}

/** A poll is part of a model call but no attempt of it. */
const POLL: ModelCallState = { countAttempt: () => undefined };

/** The entry of `id` while its call is open (the exit hook may have ended it). */
function open(id: string): Running | undefined {
  const entry = running.get(id);
  if (entry === undefined || !entry.call.hasEnded) return entry;
  end(id);
  return undefined;
}

/** Ends the call waiting for `id` with `outcome`, or with what was seen of it. */
function end(id: string, outcome?: CallOutcome): void {
  const entry = running.get(id);
  if (entry === undefined) return;
  running.delete(id);
  clearTimeout(entry.timer);
  entry.call.succeed(outcome ?? entry.seen);
}
