import type { SendOutcome } from '../retry.js';

/** One OTLP transport to one downstream endpoint. */
export interface Sender {
  /** The request in the sender's wire format (OTLP/JSON, gzip), made once per batch and reused by its retries. */
  encode(request: Uint8Array): Promise<Uint8Array>;
  /** One attempt; never rejects. `signal` aborts it (shutdown deadline). */
  send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome>;
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
