import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';

/** gRPC status codes the OTLP specification lets a client retry; RESOURCE_EXHAUSTED only when the server says when. */
const RETRYABLE_CODES = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  10, // ABORTED
  11, // OUT_OF_RANGE
  14, // UNAVAILABLE
  15, // DATA_LOSS
]);
const RESOURCE_EXHAUSTED = 8;
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

// The same schedule as the OTLP/HTTP exporters' own retries (otlp-exporter-base's RetryingTransport).
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/** What a failed gRPC export reports (`@grpc/grpc-js`'s ServiceError), as far as retrying needs it. */
interface GrpcFailure {
  code: number;
  metadata?: { get(key: string): unknown[] };
}

/**
 * Retries a gRPC span exporter's exports the way the OTLP/HTTP exporters retry theirs. The JS gRPC exporter
 * (0.223) treats every failure as final, so a processor that sheds load (UNAVAILABLE with a RetryInfo delay) or
 * restarts would cost the spans of every export it refused; the HTTP exporters wait and send again. Retries stop
 * at the export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`), counted from the first attempt, or on shutdown.
 */
export class RetryingGrpcExporter implements SpanExporter {
  private stopped = false;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly timeoutMs: number,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const deadline = Date.now() + this.timeoutMs;
    let retriesLeft = MAX_RETRIES;
    let backoffMs = INITIAL_BACKOFF_MS;
    let answered = false;
    const answer = (result: ExportResult): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timeout);
      resultCallback(result);
    };
    // Each attempt has the exporter's whole timeout; the export as a whole has it too, as over HTTP.
    const timeout = setTimeout(
      () => answer({ code: ExportResultCode.FAILED, error: new Error(`gRPC export with retries took longer than ${this.timeoutMs} ms`) }),
      this.timeoutMs,
    );
    const attempt = (): void =>
      this.exporter.export(spans, (result) => {
        if (answered) return;
        const retryInMs = result.code === ExportResultCode.FAILED ? retryDelayMs(result.error, backoffMs) : undefined;
        if (retryInMs === undefined || retriesLeft === 0 || this.stopped || Date.now() + retryInMs > deadline) {
          answer(result);
          return;
        }
        retriesLeft -= 1;
        backoffMs *= BACKOFF_MULTIPLIER;
        diag.verbose(`@genai-chargeback/instrumentation: retrying a gRPC span export in ${Math.round(retryInMs)} ms`);
        setTimeout(attempt, retryInMs);
      });
    attempt();
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}

/** How long to wait before retrying after `error`, or undefined when it must not be retried. */
export function retryDelayMs(error: unknown, backoffMs: number): number | undefined {
  if (!isGrpcFailure(error)) return undefined;
  const serverDelayMs = retryInfoDelayMs(error);
  if (error.code === RESOURCE_EXHAUSTED) return serverDelayMs;
  if (!RETRYABLE_CODES.has(error.code)) return undefined;
  return serverDelayMs ?? Math.min(backoffMs * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS);
}

function isGrpcFailure(error: unknown): error is GrpcFailure {
  return typeof error === 'object' && error !== null && typeof (error as Partial<GrpcFailure>).code === 'number';
}

/** The delay of a `google.rpc.RetryInfo` detail in the rich status (`grpc-status-details-bin`), if the server sent one. */
function retryInfoDelayMs(error: GrpcFailure): number | undefined {
  const [details] = error.metadata?.get('grpc-status-details-bin') ?? [];
  if (!(details instanceof Uint8Array)) return undefined;
  try {
    for (const detail of fieldsOf(details, 3)) {
      const [typeUrl] = fieldsOf(detail, 1);
      if (typeUrl === undefined || new TextDecoder().decode(typeUrl) !== RETRY_INFO_TYPE) continue;
      // proto3 leaves out an empty value: a RetryInfo without a delay (retry at once).
      const [value] = fieldsOf(detail, 2);
      const [duration] = value === undefined ? [] : fieldsOf(value, 1);
      return duration === undefined ? 0 : durationMs(duration);
    }
  } catch (error) {
    diag.debug('@genai-chargeback/instrumentation: unreadable gRPC status details', error);
  }
  return undefined;
}

/** The length-delimited fields numbered `field` of a protobuf message. */
function fieldsOf(message: Uint8Array, field: number): Uint8Array[] {
  const reader = protobuf.Reader.create(message);
  const found: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) found.push(reader.bytes());
    else reader.skipType(tag & 7);
  }
  return found;
}

/** A `google.protobuf.Duration` (seconds = 1, nanos = 2) in milliseconds. */
function durationMs(duration: Uint8Array): number {
  const reader = protobuf.Reader.create(duration);
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 8) seconds = Number(reader.int64().toString());
    else if (tag === 16) nanos = reader.int32();
    else reader.skipType(tag & 7);
  }
  return Math.max(0, seconds * 1000 + nanos / 1e6);
}
