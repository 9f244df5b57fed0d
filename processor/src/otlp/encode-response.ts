import { ProtoWriter } from './proto-writer.js';
import {
  ExportPartialSuccess,
  ExportResponse,
  ProtobufAny,
  ProtobufDuration,
  RetryInfo,
  RpcStatus,
  rejectedFieldJsonName,
  type OtlpSignal,
} from './schema.js';

/**
 * Encoders for what OTLP servers answer: Export*ServiceResponse (success, possibly partial) and google.rpc.Status
 * (failures). The three signals' responses share one wire shape; only the JSON name of the counter differs.
 */

export interface PartialSuccess {
  /** Rejected spans, log records or data points. */
  rejected: number;
  errorMessage: string;
}

/** Per OTLP, partial_success is sent only when something was rejected or there is a warning message. */
function hasPartialSuccess(partial: PartialSuccess | undefined): partial is PartialSuccess {
  return partial !== undefined && (partial.rejected > 0 || partial.errorMessage !== '');
}

export function encodeExportResponseProtobuf(partial?: PartialSuccess): Uint8Array<ArrayBuffer> {
  const writer = new ProtoWriter(64);
  if (hasPartialSuccess(partial)) {
    writer.tag(ExportResponse.tag.partialSuccess);
    const start = writer.begin();
    if (partial.rejected > 0) writer.tag(ExportPartialSuccess.tag.rejected).int64(partial.rejected);
    if (partial.errorMessage !== '') writer.tag(ExportPartialSuccess.tag.errorMessage).string(partial.errorMessage);
    writer.end(start);
  }
  return writer.finish();
}

/** proto3 JSON: the int64 counter is a decimal string. */
export function encodeExportResponseJson(signal: OtlpSignal, partial?: PartialSuccess): string {
  if (!hasPartialSuccess(partial)) return '{}';
  return JSON.stringify({
    partialSuccess: { [rejectedFieldJsonName[signal]]: String(partial.rejected), errorMessage: partial.errorMessage },
  });
}

export interface RpcStatusBody {
  /** A google.rpc.Code (see RpcCode). */
  code: number;
  message: string;
  /** google.protobuf.Any details; protobuf only (JSON would need each detail's schema). */
  details?: readonly { typeUrl: string; value: Uint8Array }[];
}

export function encodeStatusProtobuf(status: RpcStatusBody): Uint8Array<ArrayBuffer> {
  const writer = new ProtoWriter(64 + status.message.length * 3);
  if (status.code !== 0) writer.tag(RpcStatus.tag.code).varint32(status.code);
  if (status.message !== '') writer.tag(RpcStatus.tag.message).string(status.message);
  for (const detail of status.details ?? []) {
    writer.tag(RpcStatus.tag.details);
    const start = writer.begin();
    writer.tag(ProtobufAny.tag.typeUrl).string(detail.typeUrl);
    writer.tag(ProtobufAny.tag.value).bytes(detail.value);
    writer.end(start);
  }
  return writer.finish();
}

export function encodeStatusJson(status: RpcStatusBody): string {
  return JSON.stringify({ code: status.code, message: status.message });
}

/** A google.rpc.RetryInfo detail, how gRPC servers tell OTLP clients when to retry. */
export function retryInfoDetail(retryAfterSeconds: number): { typeUrl: string; value: Uint8Array<ArrayBuffer> } {
  const seconds = Math.floor(retryAfterSeconds);
  const nanos = Math.round((retryAfterSeconds - seconds) * 1e9);
  const writer = new ProtoWriter(32);
  writer.tag(RetryInfo.tag.retryDelay);
  const start = writer.begin();
  if (seconds !== 0) writer.tag(ProtobufDuration.tag.seconds).int64(seconds);
  if (nanos !== 0) writer.tag(ProtobufDuration.tag.nanos).varint32(nanos);
  writer.end(start);
  return { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: writer.finish() };
}
