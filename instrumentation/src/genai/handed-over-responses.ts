import { diag } from '@opentelemetry/api';
import type { ModelCall } from './model-call.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** The part of the SDKs' `APIPromise` a helper's own request object shares with the instrumented one. */
interface ParsingPromise {
  parseResponse: Method;
  /** Set once the body is being parsed. */
  parsedPromise?: Promise<unknown>;
}

interface HandOver {
  call: ModelCall;
  /** Takes the parsed body of the call's response, unless the instrumented request parsed it itself. */
  adopt: (data: unknown) => void;
}

/**
 * Responses an SDK helper took from an instrumented request (`_responseProps()`) to parse through a request object
 * of its own, which the instrumentation never sees. The Anthropic SDK's message threads do this for each streamed
 * turn (`thread.stream()`, and the tool runner, which runs over a thread on a client that holds them): without the
 * hand-over, the stream is read elsewhere and the call is reported without usage. Keyed by the response object the
 * helper passes on, unchanged, to its parse.
 */
const handedOver = new Map<object, HandOver>();
/** Hand-overs whose response has not arrived yet: the helper's request object is parsed (lazily) before it does. */
let awaitingResponse = 0;

/**
 * Records that the response `responded` will bring, the response of `call`, is to be parsed by a request object of
 * the SDK's own; returns `responded` for the helper, which sees the same outcome.
 */
export function handOver(responded: Promise<unknown>, call: ModelCall, adopt: (data: unknown) => void): Promise<unknown> {
  awaitingResponse += 1;
  return responded.then(
    (response: unknown) => {
      awaitingResponse -= 1;
      if (typeof response === 'object' && response !== null && !call.hasEnded) {
        // An entry stays only while its call is open: one whose helper never parsed it (an aborted turn) goes here.
        for (const [key, entry] of handedOver) if (entry.call.hasEnded) handedOver.delete(key);
        handedOver.set(response, { call, adopt });
      }
      return response;
    },
    (error: unknown) => {
      awaitingResponse -= 1;
      throw error;
    },
  );
}

/**
 * Wraps `APIPromise.prototype.parse`. While no response is handed over (every call but a thread's turn) it only
 * passes through; otherwise the first parse of each request object reports what it parsed to the call whose
 * response it was.
 */
export function parseAdoptingHandedOver(original: Method): Method {
  return function parseAdopting(this: unknown, ...args: unknown[]): unknown {
    if ((awaitingResponse > 0 || handedOver.size > 0) && isParsingPromise(this) && this.parsedPromise === undefined) adoptWhenParsed(this);
    return original.apply(this, args);
  };
}

function adoptWhenParsed(promise: ParsingPromise): void {
  const parseResponse = promise.parseResponse;
  promise.parseResponse = async function parseHandedOver(this: unknown, ...args: unknown[]): Promise<unknown> {
    const data = await parseResponse.apply(this, args);
    // The response is the parser's last argument in every SDK generation: `(client, props)` or `(props)`.
    const response = args[args.length - 1];
    const entry = typeof response === 'object' && response !== null ? handedOver.get(response) : undefined;
    if (entry !== undefined) {
      handedOver.delete(response as object);
      try {
        entry.adopt(data);
      } catch (error) {
        diag.error('@genai-chargeback/instrumentation: could not read a handed-over model response', error);
      }
    }
    return data;
  };
}

function isParsingPromise(value: unknown): value is ParsingPromise {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ParsingPromise>).parseResponse === 'function';
}
