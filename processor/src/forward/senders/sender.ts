import type { SendOutcome } from '../retry.js';

/** OTLP's two encodings. */
export type WireFormat = 'protobuf' | 'json';

/** An export request's bytes and their encoding. */
export interface WireRequest {
  readonly bytes: Uint8Array;
  readonly format: WireFormat;
}

/** One OTLP transport to one downstream endpoint, for one signal. */
export interface Sender {
  /**
   * The request as it goes on the wire (OTLP/JSON conversion, gzip), made once per batch and reused by its
   * retries. Rejects when this transport cannot carry the request (OTLP/JSON over gRPC).
   */
  encode(request: WireRequest): Promise<WireRequest>;
  /** One attempt; never rejects. `signal` aborts it (shutdown deadline). */
  send(request: WireRequest, signal: AbortSignal): Promise<SendOutcome>;
  close(): void;
}

export const userAgent = 'genai-chargeback-forwarder/0.1.0';

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return String(error);
}
