export { decodeTracesJson } from './decode-json.js';
export { decodeTracesProtobuf } from './decode-protobuf.js';
export { encodeTracesJson, encodeTracesProtobuf } from './encode-request.js';
export {
  encodeExportResponseJson,
  encodeExportResponseProtobuf,
  encodeStatusJson,
  encodeStatusProtobuf,
  retryInfoDetail,
  type PartialSuccess,
  type RpcStatusBody,
} from './encode-response.js';
export { OtlpDecodeError } from './errors.js';
export { RpcCode, type OtlpSignal } from './schema.js';
export * from './types.js';
