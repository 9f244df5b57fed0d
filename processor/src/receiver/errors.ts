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

/**
 * No valid bearer token (401), or a valid token without this kind of access (403). The message names what is
 * missing, never the token.
 */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
  constructor(
    message: string,
    readonly forbidden = false,
  ) {
    super(message);
  }
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
  | 'unauthorized'
  | 'invalid'
  | 'too_large'
  | 'unsupported'
  | 'retryable'
  | 'failed'
  | 'error';

export interface ErrorDisposition {
  httpStatus: 400 | 401 | 403 | 413 | 415 | 429 | 500 | 503;
  /** google.rpc.Code: the gRPC status, and the `code` of HTTP google.rpc.Status bodies. */
  rpcCode: number;
  outcome: RequestOutcome;
  message: string;
  retryAfterSeconds?: number;
}

/** google.rpc.Code values the OTLP schema module does not list. */
const RPC_PERMISSION_DENIED = 7;
const RPC_UNAUTHENTICATED = 16;

/** Seconds a client is told to wait after a sink failure that carried no delay of its own. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The one mapping from errors to what both receivers answer. OTLP clients retry only 429/502/503/504 (HTTP) and
 * UNAVAILABLE (gRPC), so every server-side failure maps there, and client data never produces a 500.
 */
export function classifyError(error: unknown): ErrorDisposition {
  if (error instanceof UnauthorizedError) {
    return error.forbidden
      ? { httpStatus: 403, rpcCode: RPC_PERMISSION_DENIED, outcome: 'unauthorized', message: error.message }
      : { httpStatus: 401, rpcCode: RPC_UNAUTHENTICATED, outcome: 'unauthorized', message: error.message };
  }
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
