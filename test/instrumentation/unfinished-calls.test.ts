import { ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelCall, type ModelCall } from '../../instrumentation/src/genai/model-call.js';
import { observeResult, type ResultReader } from '../../instrumentation/src/genai/observe.js';
import { endUnfinishedCalls, trackInFlight } from '../../instrumentation/src/genai/unfinished-calls.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
const reader: ResultReader = {
  stream: false,
  readResult: () => ({ usage: { inputTokens: 12, outputTokens: 3 } }),
  observeStream: () => ({ onItem: () => true, outcome: () => ({}) }),
};

function newCall(): ModelCall {
  return startModelCall(tracer, { provider: 'openai', operation: 'chat', model: 'gpt-4.1', server: undefined }, ROOT_CONTEXT).call;
}

/** What the SDKs return: the request already under way, the body parsed when the app awaits. */
function apiPromise(responsePromise: Promise<unknown>) {
  return {
    responsePromise,
    parseResponse: async (response: unknown) => response,
    asResponse() {
      return this.responsePromise;
    },
  };
}

function deferred() {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Full collections, with time for the finalizers they schedule to run. */
async function collectGarbage(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Observes a result the app drops at once: nothing outside this function keeps it. Returns the response promise the
 * SDK's readers would chain on, which passes the outcome on.
 */
function dropAtOnce(responsePromise: Promise<unknown>, call: ModelCall): Promise<unknown> {
  const result = apiPromise(responsePromise);
  observeResult(result, call, reader);
  return result.responsePromise;
}

describe('calls the app never reads', () => {
  afterEach(() => exporter.reset());

  it('does not end a never-awaited call while its request is under way, and reports how it ended', async () => {
    const response = deferred();
    const passedOn = dropAtOnce(response.promise, newCall());
    await collectGarbage();
    expect(exporter.getFinishedSpans()).toEqual([]);
    const failure = Object.assign(new Error('server error'), { status: 500 });
    response.reject(failure);
    await expect(passedOn).rejects.toBe(failure);
    await collectGarbage();
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('500');
  });

  it('ends a response the app dropped unread once it is collected, usage unknown', async () => {
    const response = deferred();
    dropAtOnce(response.promise, newCall());
    response.resolve({ status: 200 });
    await collectGarbage();
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');
  });

  it('ends what is still open at exit: a request under way as process_ended, an unread response as received', async () => {
    const inFlight = newCall();
    trackInFlight(inFlight);
    observeResult(apiPromise(deferred().promise), inFlight, reader);
    const responded = newCall();
    trackInFlight(responded);
    const unread = apiPromise(Promise.resolve({ status: 200 }));
    observeResult(unread, responded, reader);
    await collectGarbage();
    expect(exporter.getFinishedSpans()).toEqual([]);
    endUnfinishedCalls();
    const [first, second] = exporter.getFinishedSpans();
    expect([first?.status.code, first?.attributes['error.type']]).toEqual([SpanStatusCode.ERROR, 'process_ended']);
    expect([second?.status.code, second?.attributes['error.type']]).toEqual([SpanStatusCode.UNSET, undefined]);
    // Ended once: the next exit hook, or the parse the app may still start, changes nothing.
    endUnfinishedCalls();
    await unread.parseResponse({ status: 200 });
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
