import { ProtoReader } from '../otlp/proto-reader.js';
import { ProtobufAny, ProtobufDuration, RetryInfo, RpcStatus } from '../otlp/schema.js';

/** How one send attempt ended. */
export type SendOutcome =
  | { readonly kind: 'sent' }
  /** Try again later; `retryAfterMs` when the server said when (Retry-After, gRPC RetryInfo). */
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs: number | null }
  /** Never retried: the server refused the data for good. */
  | { readonly kind: 'failed'; readonly reason: string };

/** The Collector's retry_on_failure settings, in milliseconds. */
export interface RetryPolicy {
  enabled: boolean;
  initialIntervalMs: number;
  maxIntervalMs: number;
  maxElapsedMs: number;
  multiplier: number;
  randomizationFactor: number;
}

/** OTLP/HTTP: only these are retryable; every other failure status must not be retried. */
const retryableHttpStatuses = new Set([429, 502, 503, 504]);

export function httpOutcome(status: number, retryAfter: string | undefined, nowMs: number): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (retryableHttpStatuses.has(status)) return { kind: 'retryable', reason: `HTTP ${status}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  return { kind: 'failed', reason: `HTTP ${status}` };
}

/** Retry-After: delay in seconds, or an HTTP date. Unparseable values are ignored (back-off applies). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** gRPC codes the OTLP specification makes retryable; RESOURCE_EXHAUSTED only when the server sent RetryInfo. */
const retryableGrpcCodes = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  10, // ABORTED
  11, // OUT_OF_RANGE
  14, // UNAVAILABLE
  15, // DATA_LOSS
]);
const RESOURCE_EXHAUSTED = 8;

export function grpcOutcome(code: number, details: string, retryDelayMs: number | null): SendOutcome {
  if (code === 0) return { kind: 'sent' };
  const reason = `gRPC code ${code}${details === '' ? '' : `: ${details}`}`;
  if (retryableGrpcCodes.has(code) || (code === RESOURCE_EXHAUSTED && retryDelayMs !== null)) {
    return { kind: 'retryable', reason, retryAfterMs: retryDelayMs };
  }
  return { kind: 'failed', reason };
}

const retryInfoType = 'type.googleapis.com/google.rpc.RetryInfo';

/** The RetryInfo delay inside a google.rpc.Status (the `grpc-status-details-bin` trailer), if there is one. */
export function retryInfoDelayMs(status: Uint8Array): number | null {
  try {
    const reader = new ProtoReader(status);
    while (reader.pos < reader.len) {
      const tag = reader.uint32(reader.len);
      if (tag !== RpcStatus.tag.details) {
        reader.skip(tag, reader.len, RpcStatus);
        continue;
      }
      const end = reader.delimited(reader.len);
      let typeUrl = '';
      let delay: number | null = null;
      while (reader.pos < end) {
        const anyTag = reader.uint32(end);
        if (anyTag === ProtobufAny.tag.typeUrl) typeUrl = reader.string(end);
        else if (anyTag === ProtobufAny.tag.value) delay = readRetryInfo(reader, reader.delimited(end));
        else reader.skip(anyTag, end, ProtobufAny);
      }
      if (typeUrl === retryInfoType && delay !== null) return delay;
    }
  } catch {
    // A trailer we cannot read is no instruction: ordinary back-off applies.
  }
  return null;
}

function readRetryInfo(reader: ProtoReader, end: number): number | null {
  let delay: number | null = null;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag !== RetryInfo.tag.retryDelay) {
      reader.skip(tag, end, RetryInfo);
      continue;
    }
    const durationEnd = reader.delimited(end);
    let seconds = 0;
    let nanos = 0;
    while (reader.pos < durationEnd) {
      const durationTag = reader.uint32(durationEnd);
      if (durationTag === ProtobufDuration.tag.seconds) seconds = Number(reader.int64(durationEnd));
      else if (durationTag === ProtobufDuration.tag.nanos) nanos = reader.uint32(durationEnd) | 0;
      else reader.skip(durationTag, durationEnd, ProtobufDuration);
    }
    delay = Math.max(0, seconds * 1000 + Math.round(nanos / 1e6));
  }
  return delay;
}

/** Exponential back-off with jitter: initial × multiplier^retry, capped, ± randomization. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * policy.multiplier ** retry);
  const jitter = policy.randomizationFactor * base;
  return base - jitter + 2 * jitter * random();
}

/**
 * How long to wait before the next attempt, or null to give up: not retryable, retries off, or the wait would
 * end past max_elapsed_time since the first attempt. A server's Retry-After replaces the back-off.
 */
export function nextDelayMs(
  policy: RetryPolicy,
  outcome: SendOutcome,
  retry: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | null {
  if (outcome.kind !== 'retryable' || !policy.enabled) return null;
  const delay = outcome.retryAfterMs ?? backoffMs(policy, retry, random);
  return elapsedMs + delay > policy.maxElapsedMs ? null : delay;
}
