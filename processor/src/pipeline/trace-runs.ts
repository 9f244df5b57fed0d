import type { DecodedSpan } from '../otlp/types.js';

/** Consecutive spans of one trace in a batch. An SDK exports a trace's spans together: a 500-span request is a few dozen runs. */
export interface TraceRun {
  traceId: string;
  spans: number;
  /** The earliest start among the run's spans. */
  minStartUnixNano: bigint;
  /** The run's first span without a parent, whole (the roll-up names its action from it), or null. */
  root: DecodedSpan | null;
}

/** The batch's spans as runs of one trace each; a trace whose spans are spread over the batch gives several runs. */
export function traceRuns(spans: readonly DecodedSpan[]): TraceRun[] {
  const runs: TraceRun[] = [];
  let run: TraceRun | null = null;
  for (const span of spans) {
    if (run === null || run.traceId !== span.traceId) {
      run = { traceId: span.traceId, spans: 0, minStartUnixNano: span.startTimeUnixNano, root: null };
      runs.push(run);
    }
    run.spans += 1;
    if (span.startTimeUnixNano < run.minStartUnixNano) run.minStartUnixNano = span.startTimeUnixNano;
    if (run.root === null && span.parentSpanId === '') run.root = span;
  }
  return runs;
}
