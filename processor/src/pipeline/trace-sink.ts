import type { DecodedTraces } from '../otlp/types.js';

/** Where receivers hand decoded export requests. Resolves only once the data is durable. */
export interface TraceSink {
  export(traces: DecodedTraces, context: ExportContext): Promise<ExportOutcome>;
  /** Decode with `keepWire` for this sink: a later stage (forwarding) re-sends the spans as they arrived. */
  readonly keepWire?: boolean;
}

export interface ExportContext {
  transport: 'http' | 'grpc';
  /** Bearer-token owner or similar identity, when the receiver authenticated one. */
  principal?: string;
  requestId: string;
}

/**
 * Partial success per OTLP for the WHOLE request: it must include the spans the decoder already rejected
 * (`DecodedTraces.rejectedSpans`), because receivers answer with this outcome as it is. A sink that returns
 * `{ rejectedSpans: 0 }` for a request with invalid spans hides them from the client. Rejected 0 with a
 * message is a warning.
 */
export interface ExportOutcome {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * The sink cannot take the data now but will later (queue full, memory limit, storage busy).
 * Receivers answer 503 (HTTP) / UNAVAILABLE (gRPC) with Retry-After, which OTLP clients retry.
 * Any other error thrown by a sink is a server fault, also mapped to a retryable status: a client
 * must never lose data because the server failed, and client data never produces a 500.
 */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** 429 when the client should slow down (back-pressure), 503 when the service is unavailable. */
    readonly httpStatus: 429 | 503 = 503,
  ) {
    super(message);
  }
}
