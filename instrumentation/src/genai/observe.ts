import { context, diag, type Context } from '@opentelemetry/api';
import type { ModelCall } from './model-call.js';
import type { CallOutcome, StreamObserver } from './outcome.js';
import { handOver } from './handed-over-responses.js';
import { endWithReceived, trackUnread } from './unfinished-calls.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** How to read the result of one call. */
export interface ResultReader {
  stream: boolean;
  readResult(data: unknown): CallOutcome;
  /** Takes over ending `call` when the result says the work goes on after it (a background response); else false. */
  endsLater?(data: unknown, call: ModelCall): boolean;
  observeStream(): StreamObserver;
}

/**
 * The `APIPromise` both SDKs return (Stainless-generated). Its request is already under way; the body is parsed
 * lazily, when the app awaits it. Replacing `parseResponse` on the instance keeps that laziness (`asResponse()`
 * still gets an unread body), the promise's identity and all its methods.
 */
interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (this: unknown, ...args: unknown[]) => Promise<unknown>;
  asResponse: (this: APIPromiseLike) => Promise<unknown>;
  /** Set once the body is being parsed (`then`, `withResponse()`). */
  parsedPromise?: Promise<unknown>;
  /** Anthropic: the unparsed response, for a helper that parses it through a request object of its own. */
  _responseProps?: (this: APIPromiseLike) => Promise<unknown>;
}

/** The SDKs' `Stream`: async iteration, `tee()` and `toReadableStream()` all go through its `iterator` function. */
interface StreamLike {
  iterator: (this: unknown) => AsyncIterator<unknown>;
}

function isAPIPromiseLike(value: unknown): value is APIPromiseLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<APIPromiseLike>).parseResponse === 'function' &&
    typeof (value as Partial<APIPromiseLike>).asResponse === 'function' &&
    (value as Partial<APIPromiseLike>).responsePromise instanceof Promise
  );
}

function isStreamLike(value: unknown): value is StreamLike {
  return typeof value === 'object' && value !== null && typeof (value as Partial<StreamLike>).iterator === 'function';
}

/** Ends `call` when the result of the SDK method is known, without changing what the app receives. */
export function observeResult(result: unknown, call: ModelCall, reader: ResultReader): void {
  if (isAPIPromiseLike(result)) {
    const promise = result;
    let read = false;
    let registered = false;
    const markRead = (): void => {
      read = true;
      if (registered) droppedResults.unregister(promise);
    };
    // The SDK's readers (parse, asResponse, _thenUnwrap) all chain on `responsePromise`, so it is replaced by one
    // that passes the same outcome on. A failure nobody awaits stays an unhandled rejection, as without the
    // instrumentation; only the original, observed here, counts as handled.
    const responded: Promise<unknown> = promise.responsePromise.then(
      (response: unknown) => {
        quietly(() => trackUnread(call, nothingRead));
        // Registered only once the response is here: the SDK keeps no reference to a promise the app never awaits,
        // so registered earlier it could be collected, and its span ended, mid-request. This closure keeps it till
        // now. And only if no parse began: one the app asked for before the response is queued ahead of this
        // check, and registering costs more (~8 µs a call) than the rest of the tracking together.
        void responded.then(() => {
          if (read) return;
          droppedResults.register(promise, { call, receivedSoFar: nothingRead }, promise);
          registered = true;
        });
        return response;
      },
      (error: unknown) => {
        quietly(() => call.fail(error));
        throw error;
      },
    );
    promise.responsePromise = responded;
    const parse = promise.parseResponse;
    promise.parseResponse = async function parseObserved(this: unknown, ...args: unknown[]): Promise<unknown> {
      // From here the parse (and then the stream, if any) holds the call, not the promise the app may have dropped.
      markRead();
      let data: unknown;
      try {
        data = await parse.apply(this, args);
      } catch (error) {
        quietly(() => call.fail(error));
        throw error;
      }
      settle(data, call, reader);
      return data;
    };
    const responseProps = promise._responseProps;
    if (typeof responseProps === 'function') {
      promise._responseProps = function responsePropsHandedOver(this: APIPromiseLike): Promise<unknown> {
        return handOver(responseProps.call(this), call, (data) => {
          if (read) return;
          markRead();
          settle(data, call, reader);
        });
      };
    }
    // An app that takes the raw response reads the body itself: the call is reported without usage (unknown, not zero).
    const asResponse = promise.asResponse;
    promise.asResponse = function asResponseObserved(this: APIPromiseLike): Promise<unknown> {
      markRead();
      if (this.parsedPromise === undefined) this.responsePromise.then(() => call.succeed({}), () => undefined);
      return asResponse.call(this);
    };
    return;
  }
  if (result instanceof Promise) {
    result.then(
      (data: unknown) => settle(data, call, reader),
      (error: unknown) => quietly(() => call.fail(error)),
    );
    return;
  }
  settle(result, call, reader);
}

const nothingRead = (): CallOutcome => ({});

/**
 * Ends the span of a result the app drops before reading it to the end, once the garbage collector takes it: a
 * response never parsed, a stream never iterated (say because its handler failed first), or one left mid-way
 * without `break`. The call was made and billed, so it is reported, with what was received so far (usage none:
 * unknown, not zero) rather than never.
 */
const droppedResults = new FinalizationRegistry<{ call: ModelCall; receivedSoFar: () => CallOutcome }>(({ call, receivedSoFar }) =>
  endWithReceived(call, receivedSoFar),
);

function settle(data: unknown, call: ModelCall, reader: ResultReader): void {
  try {
    if (!reader.stream) {
      if (reader.endsLater?.(data, call) !== true) call.succeed(reader.readResult(data));
    } else if (isStreamLike(data)) {
      const source = data.iterator;
      const observer = reader.observeStream();
      const receivedSoFar = (): CallOutcome => observer.outcome();
      trackUnread(call, receivedSoFar);
      const unread = {};
      droppedResults.register(data, { call, receivedSoFar }, unread);
      data.iterator = function iterateObserved(this: unknown): AsyncIterator<unknown> {
        // From here the app holds the iterator, not necessarily the stream (`for await (… of await create())`).
        droppedResults.unregister(unread);
        const iterator = observeIterator(source.call(this), call, observer);
        // The iterator is its own unregister token: a call handed over when the stream stops early is ended elsewhere.
        droppedResults.register(iterator, { call, receivedSoFar }, iterator);
        return iterator;
      };
    } else {
      call.succeed({});
    }
  } catch (error) {
    // A reader bug must not reach the app: the call is reported without what could not be read.
    diag.error('@genai-chargeback/instrumentation: could not read a model response', error);
    call.succeed({});
  }
}

/**
 * Passes the stream through to the app and ends the span with what was received: when the stream ends, fails
 * midway, or is abandoned by the app (`break`, `return()`), which still closes the SDK's stream as before.
 * A plain iterator rather than an async generator: one promise per item instead of a generator's several.
 */
function observeIterator(source: AsyncIterator<unknown>, call: ModelCall, observer: StreamObserver): AsyncIterableIterator<unknown> {
  /** True when the observer took the call over (the stream stopped before its end and the work goes on). */
  const observerTookOver = (): boolean => {
    let taken = false;
    try {
      taken = observer.continuesAfter?.(call) === true;
    } catch (error) {
      diag.error('@genai-chargeback/instrumentation: could not follow a stream that stopped early', error);
    }
    if (taken) droppedResults.unregister(iterator);
    return taken;
  };
  const onError = (error: unknown): never => {
    if (!observerTookOver()) quietly(() => call.fail(error, observer.outcome()));
    throw error;
  };
  const onStep = (step: IteratorResult<unknown>): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
    if (step.done === true) {
      // An aborted stream ends as done too: without its final event the work may go on.
      if (!observerTookOver()) quietly(() => call.succeed(observer.outcome()));
      return step;
    }
    return see(observer, step.value) ? step : source.next().then(onStep, onError);
  };
  const iterator: AsyncIterableIterator<unknown> = {
    next: () => source.next().then(onStep, onError),
    return: (value?: unknown) => {
      if (!observerTookOver()) quietly(() => call.succeed(observer.outcome()));
      return source.return !== undefined ? source.return(value) : Promise.resolve({ done: true, value });
    },
    throw: (error?: unknown) => {
      quietly(() => call.fail(error, observer.outcome()));
      return source.throw !== undefined ? source.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/** What follows the results of an SDK method that is no model call itself but returns what one produced. */
export interface ResultFollower {
  /** Whether any result could matter now; when not, the method runs untouched. */
  watching(): boolean;
  /** The context to run this call of the method in, when it belongs to a model call (a poll of its response). */
  contextFor(args: unknown[]): Context | undefined;
  see(data: unknown): void;
}

/**
 * Wraps such a method (`responses.retrieve` of a background response): `follower.see` gets each parsed result; the
 * app gets it unchanged.
 */
export function followResults(original: Method, follower: ResultFollower): Method {
  return function followedMethod(this: unknown, ...args: unknown[]): unknown {
    if (!follower.watching()) return original.apply(this, args);
    const callContext = follower.contextFor(args);
    const result = callContext === undefined ? original.apply(this, args) : context.with(callContext, () => original.apply(this, args));
    if (!isAPIPromiseLike(result)) return result;
    const parse = result.parseResponse;
    result.parseResponse = async function parseFollowed(this: unknown, ...parseArgs: unknown[]): Promise<unknown> {
      const data = await parse.apply(this, parseArgs);
      quietly(() => follower.see(data));
      return data;
    };
    return result;
  };
}

/** Lets `see` read the items of an SDK stream as the app reads them, unchanged; false when `data` is no stream. */
export function watchStream(data: unknown, see: (item: unknown) => void): boolean {
  if (!isStreamLike(data)) return false;
  const source = data.iterator;
  data.iterator = function iterateWatched(this: unknown): AsyncIterator<unknown> {
    const iterator = source.call(this);
    const onStep = (step: IteratorResult<unknown>): IteratorResult<unknown> => {
      if (step.done !== true) quietly(() => see(step.value));
      return step;
    };
    const watched: AsyncIterableIterator<unknown> = {
      next: () => iterator.next().then(onStep),
      return: (value?: unknown) => (iterator.return !== undefined ? iterator.return(value) : Promise.resolve({ done: true, value })),
      throw: (error?: unknown) => (iterator.throw !== undefined ? iterator.throw(error) : Promise.reject(error)),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return watched;
  };
  return true;
}

/** Records a call's end in the app's own promise chain or iteration: a throw here would replace what the SDK gave. */
function quietly(record: () => void): void {
  try {
    record();
  } catch (error) {
    diag.error('@genai-chargeback/instrumentation: could not record a model call', error);
  }
}

function see(observer: StreamObserver, item: unknown): boolean {
  try {
    return observer.onItem(item);
  } catch (error) {
    diag.error('@genai-chargeback/instrumentation: could not read a stream item', error);
    return true;
  }
}
