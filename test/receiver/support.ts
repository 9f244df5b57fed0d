import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { DecodedSpan, DecodedTraces } from '../../processor/src/otlp/types.js';
import type { ExportContext, ExportOutcome, TraceSink } from '../../processor/src/pipeline/trace-sink.js';

/** Like the pipeline: the request's partial success is the decoder's rejections (the sink adds none of its own). */
const passDecoderRejections = (traces: DecodedTraces): ExportOutcome => ({
  rejectedSpans: traces.rejectedSpans,
  errorMessage: traces.rejectionMessage,
});

/** An in-memory TraceSink whose answer each test can set (an outcome, a delay, or an error to throw). */
export class MemorySink implements TraceSink {
  readonly exports: { traces: DecodedTraces; context: ExportContext }[] = [];
  answer: (traces: DecodedTraces) => ExportOutcome | Promise<ExportOutcome> = passDecoderRejections;

  async export(traces: DecodedTraces, context: ExportContext): Promise<ExportOutcome> {
    this.exports.push({ traces, context });
    return this.answer(traces);
  }

  get spans(): DecodedSpan[] {
    return this.exports.flatMap((e) => e.traces.spans);
  }

  reset(): void {
    this.exports.length = 0;
    this.answer = passDecoderRejections;
  }
}

/** A pino logger that keeps its records, so tests can assert what was logged. */
export function recordingLogger(): { logger: Logger; records: { level: number; msg: string }[] } {
  const records: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as { level: number; msg: string });
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), records };
}
