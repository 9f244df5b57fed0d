import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AttributionSpanProcessor } from '../../instrumentation/src/attribution/span-processor.js';
import { configureAttribution, getAttribution, withAttribution } from '../../instrumentation/src/attribution/scope.js';
import { AttributionError, checkAttribution, parseAttribution } from '../../instrumentation/src/attribution/validate.js';

const manager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
});

afterAll(() => {
  manager.disable();
  context.disable();
});

describe('withAttribution', () => {
  it('puts the fields in baggage under the contract keys, merging nested scopes', async () => {
    await withAttribution({ team: 'search', project: 'assistant' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await withAttribution({ team: 'billing', userId: 'u-1', environment: 'prod' }, async () => {
        expect(getAttribution()).toEqual({ team: 'billing', project: 'assistant', userId: 'u-1', environment: 'prod' });
        const entries = Object.fromEntries(propagation.getBaggage(context.active())!.getAllEntries().map(([key, entry]) => [key, entry.value]));
        expect(entries).toEqual({ 'chargeback.team': 'billing', 'chargeback.project': 'assistant', 'user.id': 'u-1', 'deployment.environment.name': 'prod' });
      });
      expect(getAttribution()).toEqual({ team: 'search', project: 'assistant' });
    });
    expect(getAttribution()).toEqual({});
  });

  it('reaches timers and event listeners started in the scope', async () => {
    const emitter = new EventEmitter();
    const seen = new Promise((resolve) => emitter.once('tick', () => resolve(getAttribution())));
    withAttribution({ customer: 'acme' }, () => setTimeout(() => setImmediate(() => emitter.emit('tick')), 1));
    expect(await seen).toEqual({ customer: 'acme' });
  });

  it('throws a clear AttributionError in strict mode', () => {
    configureAttribution({ strict: true });
    const run = vi.fn();
    expect(() => withAttribution({ team: 42 as unknown as string, tema: 'x' } as never, run)).toThrow(AttributionError);
    expect(() => withAttribution({ team: '' }, run)).toThrow("team is empty; pass a non-empty value such as 'search' or leave it out");
    expect(run).not.toHaveBeenCalled();
  });

  it('in production keeps the valid fields, warns once and runs the function', async () => {
    configureAttribution({ strict: false });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const bad = { team: 'search', customer: 'line\nbreak' };
      expect(withAttribution(bad, () => getAttribution())).toEqual({ team: 'search' });
      withAttribution(bad, () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual(['invalid chargeback attribution: customer contains control characters; remove line breaks and tabs (the other fields are kept)']);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('attribution validation', () => {
  it('names each bad field and how to fix it', () => {
    const result = checkAttribution({ team: 7, project: 'x'.repeat(300), colour: 'blue', feature: '  search  ' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      "team must be a string, got number; pass text such as 'search' or leave it out",
      'project is longer than 256 characters; use a short identifier',
      "unknown attribution field 'colour'; use team, project, feature, customer, action, userId, environment",
    ]);
    expect(result.value).toEqual({ feature: 'search' });
  });

  it('accepts valid input, trimming values', () => {
    expect(parseAttribution({ team: ' search ', userId: 'u-1' })).toEqual({ team: 'search', userId: 'u-1' });
    expect(() => parseAttribution('search')).toThrow("attribution must be an object such as { team: 'search' }");
  });
});

describe('AttributionSpanProcessor', () => {
  it('copies attribution baggage onto spans started in the scope, keeping attributes already set', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new AttributionSpanProcessor(), new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');
    withAttribution({ team: 'search', feature: 'answers' }, () => {
      tracer.startSpan('outer').end();
      tracer.startSpan('preset', { attributes: { 'chargeback.team': 'explicit' } }).end();
    });
    tracer.startSpan('outside', {}, ROOT_CONTEXT).end();
    const byName = Object.fromEntries(exporter.getFinishedSpans().map((span) => [span.name, span.attributes]));
    expect(byName['outer']).toEqual({ 'chargeback.team': 'search', 'chargeback.feature': 'answers' });
    expect(byName['preset']).toEqual({ 'chargeback.team': 'explicit', 'chargeback.feature': 'answers' });
    expect(byName['outside']).toEqual({});
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
