import { OtlpDecodeError, RpcCode } from '../otlp/index.js';
import { RetryableError } from '../pipeline/trace-sink.js';

/** The request body (after decompression) or its declared Content-Length exceeds the configured limit. */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body exceeds the limit of ${limitBytes} bytes (after decompression); send smaller batches`);
  }
}

/** Content-Type is neither application/x-protobuf nor application/json. */
export class UnsupportedMediaTypeError extends Error {
  override name = 'UnsupportedMediaTypeError';
}

/** Content-Encoding is neither gzip nor identity. */
export class UnsupportedEncodingError extends Error {
  override name = 'UnsupportedEncodingError';
}

/** The body could not be read or decompressed (bad gzip, client aborted). */
export class InvalidBodyError extends Error {
  override name = 'InvalidBodyError';
}

/** The sink failed with something other than a RetryableError: a server fault the client should retry. */
export class SinkFailedError extends Error {
  override name = 'SinkFailedError';
  constructor(override readonly cause: unknown) {
    super('the data could not be stored right now; retry later');
  }
}

/** Request outcomes as counted in the receiver metrics. */
export type RequestOutcome =
  | 'ok'
  | 'partial'
  | 'invalid'
  | 'too_large'
  | 'unsupported'
  | 'retryable'
  | 'failed'
  | 'error';

export interface ErrorDisposition {
  httpStatus: 400 | 413 | 415 | 429 | 500 | 503;
  /** google.rpc.Code: the gRPC status, and the `code` of HTTP google.rpc.Status bodies. */
  rpcCode: number;
  outcome: RequestOutcome;
  message: string;
  retryAfterSeconds?: number;
}

/** Seconds a client is told to wait after a sink failure that carried no delay of its own. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The one mapping from errors to what both receivers answer. OTLP clients retry only 429/502/503/504 (HTTP) and
 * UNAVAILABLE (gRPC), so every server-side failure maps there, and client data never produces a 500.
 */
export function classifyError(error: unknown): ErrorDisposition {
  if (error instanceof OtlpDecodeError || error instanceof InvalidBodyError) {
    return { httpStatus: 400, rpcCode: RpcCode.INVALID_ARGUMENT, outcome: 'invalid', message: error.message };
  }
  if (error instanceof PayloadTooLargeError) {
    return { httpStatus: 413, rpcCode: RpcCode.RESOURCE_EXHAUSTED, outcome: 'too_large', message: error.message };
  }
  if (error instanceof UnsupportedMediaTypeError || error instanceof UnsupportedEncodingError) {
    return { httpStatus: 415, rpcCode: RpcCode.INVALID_ARGUMENT, outcome: 'unsupported', message: error.message };
  }
  if (error instanceof RetryableError) {
    return {
      httpStatus: error.httpStatus,
      // gRPC clients retry RESOURCE_EXHAUSTED only with RetryInfo; UNAVAILABLE always.
      rpcCode: RpcCode.UNAVAILABLE,
      outcome: 'retryable',
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof SinkFailedError) {
    return {
      httpStatus: 503,
      rpcCode: RpcCode.UNAVAILABLE,
      outcome: 'failed',
      message: error.message,
      retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
    };
  }
  return { httpStatus: 500, rpcCode: RpcCode.INTERNAL, outcome: 'error', message: 'internal error' };
}
