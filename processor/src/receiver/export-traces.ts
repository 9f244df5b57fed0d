import type { Logger } from 'pino';
import { decodeTracesJson, decodeTracesProtobuf, type PartialSuccess } from '../otlp/index.js';
import type { SpanPass } from '../pipeline/span-pass.js';
import { RetryableError, type ExportContext, type ExportOutcome, type TraceSink } from '../pipeline/trace-sink.js';
import { SinkFailedError } from './errors.js';
import type { OtlpFormat } from './media-type.js';
import type { ReceiverMetrics } from './metrics.js';

export interface TraceExportDeps {
  sink: TraceSink;
  logger: Logger;
  metrics: ReceiverMetrics;
  /** Applied in order between decoding and the sink (caps, team binding, pseudonymization). */
  passes?: readonly SpanPass[];
}

/**
 * The transport-independent part of a trace export: decode, hand the spans to the sink, answer its outcome.
 *
 * The sink receives the decoder's per-span rejections in `traces.rejectedSpans`/`rejectionMessage` and its
 * ExportOutcome is the partial success of the whole request (the pipeline returns them, plus any of its own).
 * When no span is valid the sink is not called and the decoder's rejections are the answer.
 *
 * Throws OtlpDecodeError (undecodable request), RetryableError (sink back-pressure) or SinkFailedError (any
 * other sink failure, logged here).
 */
export async function exportTraces(
  body: Uint8Array,
  format: OtlpFormat,
  context: ExportContext,
  deps: TraceExportDeps,
): Promise<PartialSuccess> {
  const options = { keepWire: deps.sink.keepWire === true };
  let traces = format === 'protobuf' ? decodeTracesProtobuf(body, options) : decodeTracesJson(body, options);
  for (const pass of deps.passes ?? []) traces = pass(traces, context);
  const spanCount = traces.spans.length;
  if (traces.rejectedSpans > 0) {
    deps.logger.debug(
      { requestId: context.requestId, rejectedSpans: traces.rejectedSpans, reason: traces.rejectionMessage },
      'invalid spans rejected',
    );
  }
  if (spanCount === 0) {
    deps.metrics.countSpans(context.transport, { rejected: traces.rejectedSpans });
    return { rejected: traces.rejectedSpans, errorMessage: traces.rejectionMessage };
  }
  let outcome: ExportOutcome;
  try {
    outcome = await deps.sink.export(traces, context);
  } catch (error) {
    deps.metrics.countSpans(context.transport, { refused: spanCount, rejected: traces.rejectedSpans });
    if (error instanceof RetryableError) {
      deps.logger.debug({ requestId: context.requestId, err: error }, 'trace export refused for now');
      throw error;
    }
    deps.logger.error({ requestId: context.requestId, err: error }, 'trace sink failed; client told to retry');
    throw new SinkFailedError(error);
  }
  const total = spanCount + traces.rejectedSpans;
  const rejected = Math.min(Math.max(outcome.rejectedSpans, 0), total);
  deps.metrics.countSpans(context.transport, { accepted: total - rejected, rejected });
  return { rejected, errorMessage: outcome.errorMessage };
}
