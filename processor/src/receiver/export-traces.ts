import type { Logger } from 'pino';
import { decodeTracesJson, decodeTracesProtobuf, type PartialSuccess } from '../otlp/index.js';
import { RetryableError, type ExportContext, type TraceSink } from '../pipeline/trace-sink.js';
import { SinkFailedError } from './errors.js';
import type { OtlpFormat } from './media-type.js';
import type { ReceiverMetrics } from './metrics.js';

export interface TraceExportDeps {
  sink: TraceSink;
  logger: Logger;
  metrics: ReceiverMetrics;
}

/**
 * The transport-independent part of a trace export: decode, hand the spans to the sink, and combine the
 * decoder's per-span rejections with the sink's into one partial success. The sink's ExportOutcome counts only
 * what the sink itself rejected; spans the decoder rejected never reach it and are added here.
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
  const traces = format === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body);
  const spanCount = traces.spans.length;
  let sinkRejected = 0;
  let sinkMessage = '';
  // Nothing valid to store (an empty export, or every span rejected): the sink is not called.
  if (spanCount > 0) {
    try {
      const outcome = await deps.sink.export(traces, context);
      sinkRejected = Math.min(outcome.rejectedSpans, spanCount);
      sinkMessage = outcome.errorMessage;
    } catch (error) {
      deps.metrics.countSpans(context.transport, { refused: spanCount, rejected: traces.rejectedSpans });
      if (error instanceof RetryableError) {
        deps.logger.debug({ requestId: context.requestId, err: error }, 'trace export refused for now');
        throw error;
      }
      deps.logger.error({ requestId: context.requestId, err: error }, 'trace sink failed; client told to retry');
      throw new SinkFailedError(error);
    }
  }
  const rejected = traces.rejectedSpans + sinkRejected;
  deps.metrics.countSpans(context.transport, { accepted: spanCount - sinkRejected, rejected });
  if (traces.rejectedSpans > 0) {
    deps.logger.debug(
      { requestId: context.requestId, rejectedSpans: traces.rejectedSpans, reason: traces.rejectionMessage },
      'invalid spans rejected',
    );
  }
  return { rejected, errorMessage: [traces.rejectionMessage, sinkMessage].filter((m) => m !== '').join('; ') };
}
