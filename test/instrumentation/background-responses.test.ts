import { ROOT_CONTEXT } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startModelCall, type ModelCall } from '../../instrumentation/src/genai/model-call.js';
import { observeResult } from '../../instrumentation/src/genai/observe.js';
import { backgroundResponses, holdWhileRunning } from '../../instrumentation/src/openai/background-responses.js';
import { readResponse } from '../../instrumentation/src/openai/read-response.js';
import { ResponsesStreamObserver } from '../../instrumentation/src/openai/responses.js';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
const minute = 60_000;

function newCall(): ModelCall {
  return startModelCall(tracer, { provider: 'openai', operation: 'chat', model: 'o4-mini', server: undefined }, ROOT_CONTEXT).call;
}

const queued = (id: string) => ({ id, object: 'response', status: 'queued', model: 'o4-mini', usage: null });
const completed = (id: string) => ({
  id,
  object: 'response',
  status: 'completed',
  model: 'o4-mini',
  usage: { input_tokens: 900, input_tokens_details: { cached_tokens: 512 }, output_tokens: 700, output_tokens_details: { reasoning_tokens: 500 } },
});

describe('background responses', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    exporter.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('waits an hour from the last poll, not from the creation, for the response to be seen finished', () => {
    const call = newCall();
    expect(holdWhileRunning(queued('resp_long'), call)).toBe(true);
    vi.advanceTimersByTime(59 * minute);
    expect(backgroundResponses.contextFor(['resp_long'])).toBeDefined();
    vi.advanceTimersByTime(59 * minute);
    expect(call.hasEnded).toBe(false);
    backgroundResponses.see(completed('resp_long'));
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ 'gen_ai.response.id': 'resp_long', 'gen_ai.usage.input_tokens': 900, 'gen_ai.usage.output_tokens': 700 });
  });

  it('records the web searches and the tool of the response the app polls to its end', () => {
    const call = newCall();
    holdWhileRunning(queued('resp_search'), call);
    backgroundResponses.see({
      ...completed('resp_search'),
      output: [{ type: 'web_search_call', id: 'ws1', status: 'completed', action: { type: 'search', query: 'q' } }],
      tools: [{ type: 'web_search' }],
    });
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ 'openai.response.web_search_calls': 1, 'openai.request.web_search_tool': 'web_search', 'gen_ai.usage.input_tokens': 900 });
  });

  it('reports a response never seen finished after an hour, without usage', () => {
    const call = newCall();
    holdWhileRunning(queued('resp_webhook'), call);
    vi.advanceTimersByTime(60 * minute);
    expect(call.hasEnded).toBe(true);
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['gen_ai.response.id']).toBe('resp_webhook');
    expect(span?.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');
    // Its later polls are no part of a call any more.
    expect(backgroundResponses.contextFor(['resp_webhook'])).toBeUndefined();
  });

  it('holds a background stream that ends without its final event (an aborted stream ends as done)', async () => {
    vi.useRealTimers();
    const call = newCall();
    const stream = {
      iterator: async function* () {
        yield { type: 'response.created', sequence_number: 0, response: queued('resp_aborted') };
      },
      [Symbol.asyncIterator]() {
        return this.iterator();
      },
    };
    const reader = { stream: true, readResult: readResponse, observeStream: () => new ResponsesStreamObserver(true) };
    const result = Promise.resolve(stream);
    observeResult(result, call, reader);
    for await (const event of await result) expect(event).toMatchObject({ type: 'response.created' });
    expect(call.hasEnded).toBe(false);
    backgroundResponses.see(completed('resp_aborted'));
    expect(exporter.getFinishedSpans()[0]?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 900 });
  });

  it('ends a finished response at once, and reports an id seen twice once per call', () => {
    expect(holdWhileRunning(completed('resp_fast'), newCall())).toBe(false);
    const [first, second] = [newCall(), newCall()];
    holdWhileRunning(queued('resp_twice'), first);
    holdWhileRunning(queued('resp_twice'), second);
    expect(first.hasEnded).toBe(true);
    backgroundResponses.see(completed('resp_twice'));
    expect(second.hasEnded).toBe(true);
    expect(exporter.getFinishedSpans().map((span) => span.attributes['gen_ai.usage.input_tokens'] ?? null)).toEqual([null, 900]);
  });
});
