import { endUnfinishedCalls, hasUnfinishedCalls } from '../genai/unfinished-calls.js';
import { exportAtExit } from './export-at-exit.js';
import type { RunningSdk } from './start.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Exports the buffered spans before the process goes: when it runs out of work (`beforeExit`, so a batch job
 * that makes its calls and ends loses none), and on SIGTERM / SIGINT. Calls not yet ended are ended first, when
 * nothing can end them any more: at `beforeExit` (responses the app left unread, such as a stream it never finished),
 * and on a signal the app does not handle (the process is about to end; calls still waiting for their response
 * too). A process that ends without waiting (an uncaught exception, an unhandled rejection, `process.exit()`) has
 * its unfinished calls ended and its unexported spans sent from the `exit` event, synchronously. Never holds a
 * stopping process longer than `timeoutMs`: the exporter retries an unreachable collector for up to 10 s, which an
 * app must not wait for.
 */
export function flushOnExit(sdk: RunningSdk, timeoutMs: number): void {
  let flushing = false;
  let graceGiven = false;
  let exportGaveUp = false;
  process.on('beforeExit', () => {
    // Exporting schedules I/O, so Node emits beforeExit again once it is done; by then nothing is buffered.
    if (flushing) return;
    if (hasUnfinishedCalls()) {
      // This listener runs before the app's own, which may start more work (finish reading a stream, say): calls
      // are ended, and everything flushed once, only if the loop empties again with them still open. The immediate
      // makes sure Node looks again.
      if (!graceGiven) {
        graceGiven = true;
        setImmediate(() => undefined);
        return;
      }
      endUnfinishedCalls();
    }
    graceGiven = false;
    flushing = true;
    void within(sdk.forceFlush(), timeoutMs).then((settled) => {
      flushing = false;
      // Everything ended was exported then, or dropped by the batch processor: the exit event has nothing to send.
      if (settled) {
        sdk.takeUnexported();
        return;
      }
      // Only the exporter's retries keep the process alive now; end it as it would have ended (process.exitCode),
      // without a second wait in the exit event for a collector that did not answer the first.
      exportGaveUp = true;
      process.exit();
    });
  });

  process.on('exit', () => {
    if (exportGaveUp || timeoutMs <= 0) return;
    endUnfinishedCalls();
    const spans = sdk.takeUnexported();
    if (spans.length > 0) exportAtExit(spans, timeoutMs);
  });

  for (const signal of SIGNALS) {
    let received = false;
    const onSignal = (): void => {
      // Without other listeners the app relies on the default action (terminate): do it once flushed, as Node would have.
      const appHandlesSignal = process.listenerCount(signal) > 1;
      if (received && !appHandlesSignal) return terminateBy(signal, onSignal);
      received = true;
      if (!appHandlesSignal) endUnfinishedCalls();
      void within(sdk.forceFlush(), timeoutMs).then(() => {
        if (!appHandlesSignal) terminateBy(signal, onSignal);
      });
    };
    process.on(signal, onSignal);
  }
}

function terminateBy(signal: NodeJS.Signals, listener: () => void): void {
  process.removeListener(signal, listener);
  process.kill(process.pid, signal);
}

/** Resolves true when `promise` settles within `ms`, false after `ms`; never rejects and never keeps the process alive. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
