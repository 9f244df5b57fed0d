import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../processor/src/demo/fake-provider.js';
import { StatusCode, type DecodedSpan } from '../../processor/src/otlp/index.js';
import { startTestCollector, type TestCollector, type TestCollectorOptions } from '../support/otlp-collector.js';
import { appPath, runApp, type AppRun } from './run-app.js';
import { genAiSpans, USAGE_KEYS } from './spans.js';

/** A port nothing listens on: the processor is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('flushing spans when the process ends', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeProvider();
  });

  afterAll(async () => {
    await fake.close();
  });

  /**
   * Runs the batch job against a collector of its own, sending `signal` once the job prints "ready". Its batch
   * processor would wait a minute before exporting: only the flush on exit can deliver the spans in time.
   */
  async function runBatchJob(
    env: Record<string, string>,
    options: { signal?: NodeJS.Signals; collector?: TestCollectorOptions } = {},
  ): Promise<{ run: AppRun; calls: DecodedSpan[] }> {
    const collector = await startTestCollector(options.collector);
    try {
      const run = await runApp('batch-job.mjs', {
        env: { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '60000', ...env },
        onLine: (line, child) => {
          if (line === 'ready' && options.signal !== undefined) child.kill(options.signal);
        },
      });
      return { run, calls: genAiSpans(collector.spans) };
    } finally {
      await collector.close();
    }
  }

  const cases = [
    { name: 'exits on its own', mode: 'exit', signal: undefined, expected: { code: 0, signal: null } },
    { name: 'gets SIGTERM', mode: 'wait', signal: 'SIGTERM', expected: { code: null, signal: 'SIGTERM' } },
    { name: 'gets SIGINT', mode: 'wait', signal: 'SIGINT', expected: { code: null, signal: 'SIGINT' } },
    { name: 'handles SIGTERM itself', mode: 'handler', signal: 'SIGTERM', expected: { code: 0, signal: null } },
  ] as const;

  for (const { name, mode, signal, expected } of cases) {
    it(`loses none of a batch job's three calls when it ${name}`, async () => {
      const { run, calls } = await runBatchJob({ MODE: mode }, { signal });
      expect({ code: run.code, signal: run.signal }).toEqual(expected);
      expect(run.lines.map((line) => line['call'])).toEqual([1, 2, 3]);
      expect(run.durationMs).toBeLessThan(15_000);
      expect(calls).toHaveLength(3);
      for (const call of calls) expect(call.attributes).toMatchObject({ 'chargeback.team': 'batch', 'chargeback.feature': 'nightly' });
    });
  }

  for (const { name, mode, signal, expected } of cases) {
    it(`reports the streams a batch job left unfinished when it ${name}`, async () => {
      const { run, calls } = await runBatchJob({ MODE: mode, UNREAD_STREAMS: '1' }, { signal });
      expect({ code: run.code, signal: run.signal }).toEqual(expected);
      expect(run.lines.at(-1)).toEqual({ firstChunkModel: 'gpt-4.1-nano' });
      expect(calls).toHaveLength(5);
      const priced = calls.filter((call) => call.attributes['gen_ai.usage.input_tokens'] !== undefined);
      expect(priced).toHaveLength(3);
      // The two streams: billed, usage never received, so reported without it (unpriced), not dropped.
      const unfinished = calls.filter((call) => call.attributes['gen_ai.usage.input_tokens'] === undefined);
      expect(unfinished.map((call) => call.attributes['gen_ai.response.model'] ?? null).sort()).toEqual(['gpt-4.1-nano', null]);
      for (const call of unfinished) {
        expect(call.statusCode).toBe(StatusCode.UNSET);
        expect(call.attributes).not.toHaveProperty('error.type');
        expect(call.attributes).toMatchObject({ 'chargeback.team': 'batch', 'gen_ai.request.model': 'gpt-4.1-nano' });
        expect(call.attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
      }
    });
  }

  it('keeps the usage of a stream the app finishes reading in its own beforeExit listener', async () => {
    const { run, calls } = await runBatchJob({ UNREAD_STREAMS: '1', FINISH_ON_EXIT: '1' });
    expect(run.code).toBe(0);
    expect(run.lines.at(-1)).toEqual({ chunksReadOnExit: expect.any(Number) });
    expect(calls).toHaveLength(5);
    // The three plain calls, and the stream read to its end on exit; the stream never read has no usage.
    const withUsage = calls.filter((call) => call.attributes['gen_ai.usage.output_tokens'] !== undefined);
    expect(withUsage.map((call) => call.attributes['gen_ai.response.finish_reasons'])).toEqual([['stop'], ['stop'], ['stop'], ['stop']]);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`reports a call still waiting for its response when an app without a handler gets ${signal}`, async () => {
      const { run, calls } = await runBatchJob({ MODE: 'wait', IN_FLIGHT: '1' }, { signal });
      expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal });
      expect(calls).toHaveLength(4);
      const waiting = calls.filter((call) => call.attributes['gen_ai.request.model'] === 'gpt-4.1-nano-no-response');
      expect(waiting).toHaveLength(1);
      // Made, maybe billed, never answered: reported failed, usage unknown (unpriced), not dropped.
      expect(waiting[0]!.statusCode).toBe(StatusCode.ERROR);
      expect(waiting[0]!.attributes).toMatchObject({ 'error.type': 'process_ended', 'chargeback.team': 'batch', 'chargeback.feature': 'nightly' });
      for (const key of USAGE_KEYS) expect(waiting[0]!.attributes).not.toHaveProperty(key);
    });
  }

  const abruptEnds = [
    { name: 'throws an uncaught exception', mode: 'throw', code: 1 },
    { name: 'leaves a rejection unhandled', mode: 'reject', code: 1 },
    { name: 'calls process.exit()', mode: 'exit-now', code: 3 },
  ] as const;

  for (const { name, mode, code } of abruptEnds) {
    it(`sends the buffered calls, and the one still in flight, when a batch job ${name}, and ends as without the preload`, async () => {
      const env = { MODE: mode, IN_FLIGHT: '1' };
      const [{ run, calls }, plain] = await Promise.all([
        runBatchJob(env),
        runApp('batch-job.mjs', { env: { FAKE_URL: fake.url, ...env }, instrumented: false }),
      ]);
      expect(run.code).toBe(code);
      expect(plain.code).toBe(code);
      // The same output; the preload's async context tracking adds one internal frame to a stack trace.
      expect(run.stderr.replace(/^ +at process\.callbackTrampoline .*\n/m, '')).toBe(plain.stderr);
      expect(run.lines.map((line) => line['call'])).toEqual([1, 2, 3]);
      // Nothing was exported during the run (the batch processor waits a minute): all four left from the exit event.
      expect(calls).toHaveLength(4);
      const answered = calls.filter((call) => call.attributes['gen_ai.request.model'] === 'gpt-4.1-nano');
      expect(answered).toHaveLength(3);
      for (const call of answered) {
        expect(call.statusCode).toBe(StatusCode.UNSET);
        expect(call.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 12, 'chargeback.team': 'batch', 'chargeback.feature': 'nightly' });
      }
      const waiting = calls.find((call) => call.attributes['gen_ai.request.model'] === 'gpt-4.1-nano-no-response');
      expect(waiting?.statusCode).toBe(StatusCode.ERROR);
      expect(waiting?.attributes['error.type']).toBe('process_ended');
    });
  }

  it('runs none of the preloads of NODE_OPTIONS, the instrumentation included, in the process that exports at exit', async () => {
    const collector = await startTestCollector();
    try {
      const options = (mode: string) => ({
        instrumented: false,
        env: {
          FAKE_URL: fake.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BSP_SCHEDULE_DELAY: '60000',
          MODE: mode,
          GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: 'soon',
          NODE_OPTIONS: `--require ${appPath('announce.cjs')} --import @genai-chargeback/instrumentation/register`,
        },
      });
      // The same app ending on its own exports from beforeExit, with no child process: what its stderr holds.
      const [crashed, ended] = await Promise.all([runApp('batch-job.mjs', options('throw')), runApp('batch-job.mjs', options('exit'))]);
      expect(crashed.code).toBe(1);
      expect(ended.code).toBe(0);
      expect(genAiSpans(collector.spans)).toHaveLength(6);
      // The app's preload and the instrumentation's settings warning, as often as without a child process.
      for (const pattern of [/announce: preloaded/g, /GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS/g]) {
        expect(crashed.stderr.match(pattern)?.length).toBe(ended.stderr.match(pattern)?.length);
      }
      expect(crashed.stderr).toContain('Error: the batch job failed');
    } finally {
      await collector.close();
    }
  });

  it('bounds the wait of an abrupt end when the collector is slow to answer', async () => {
    // The timeout covers the exporting child's start too: 1 s was too short for it alongside the suite on 2 busy cores.
    const { run, calls } = await runBatchJob({ MODE: 'throw', GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: '3000' }, { collector: { answerDelayMs: 20_000 } });
    expect(run.code).toBe(1);
    expect(calls).toHaveLength(3);
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('sends the unfinished calls with the rest in one bounded flush when the collector is slow to answer', async () => {
    const { run, calls } = await runBatchJob({ UNREAD_STREAMS: '1', GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: '1000' }, { collector: { answerDelayMs: 10_000 } });
    expect(run.code).toBe(0);
    expect(calls).toHaveLength(5);
    // One wait of the shutdown timeout, not one per flush (start-up took up to ~4 s alongside the suite).
    expect(run.durationMs).toBeLessThan(7000);
  });

  it('leaves a failed call the app never awaits an unhandled rejection, which ends the process as without it', async () => {
    const collector: TestCollector = await startTestCollector();
    try {
      const env = { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
      const [plain, instrumented] = await Promise.all([
        runApp('unawaited-failure.mjs', { env, instrumented: false }),
        runApp('unawaited-failure.mjs', { env }),
      ]);
      for (const run of [plain, instrumented]) {
        expect(run.code).toBe(1);
        expect(run.lines).toEqual([]);
        expect(run.stderr).toContain('InternalServerError');
      }
    } finally {
      await collector.close();
    }
  });

  it('keeps the app working when the processor is down, and bounds the wait at exit', async () => {
    const port = await closedPort();
    const run = await runApp('batch-job.mjs', {
      env: { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: '1000' },
    });
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line['call'])).toEqual([1, 2, 3]);
    expect(run.stderr).toBe('');
    // The exporter alone would retry the refused connection for ~8 s (up to OTEL_EXPORTER_OTLP_TIMEOUT, 10 s).
    expect(run.durationMs).toBeLessThan(5000);
  });

  it('lets exports that already failed during the run retry for at most OTEL_EXPORTER_OTLP_TIMEOUT', async () => {
    const port = await closedPort();
    const run = await runApp('batch-job.mjs', {
      env: { FAKE_URL: fake.url, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '10', OTEL_EXPORTER_OTLP_TIMEOUT: '1500' },
    });
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line['call'])).toEqual([1, 2, 3]);
    // Under the exporter's default timeout (10 s) the retries alone would outlast this; start-up took up to ~4 s
    // while the rest of the suite ran on the same 2 cores (5.8 s in all, once).
    expect(run.durationMs).toBeLessThan(8000);
  });

  it('reports bad settings as warnings naming the variable, and keeps instrumenting with the defaults', async () => {
    const collector = await startTestCollector();
    try {
      const run = await runApp('batch-job.mjs', {
        env: {
          FAKE_URL: fake.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          GENAI_CHARGEBACK_BAGGAGE_HOSTS: 'loopback, https://billing',
          GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: 'soon',
        },
      });
      expect(run.code).toBe(0);
      expect(run.lines.map((line) => line['call'])).toEqual([1, 2, 3]);
      expect(run.stderr).toContain('GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS="soon" is not valid; use milliseconds, e.g. 3000. Using the default.');
      expect(run.stderr).toContain("GENAI_CHARGEBACK_BAGGAGE_HOSTS: baggage host pattern 'https://billing' is not valid");
      expect(genAiSpans(collector.spans)).toHaveLength(3);
    } finally {
      await collector.close();
    }
  });
});
