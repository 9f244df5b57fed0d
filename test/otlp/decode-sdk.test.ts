import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decodeTracesJson, decodeTracesProtobuf } from '../../processor/src/otlp/index.js';
import { expectDecodedSdkSpans, makeSdkSpans } from './sdk-spans.js';

// The exact bytes the OTLP JS exporters send, from their own serializers (an encoder independent of ours).
describe('decoding what the OpenTelemetry JS SDK sends', () => {
  const sdkSpans = makeSdkSpans();

  it('decodes the protobuf request field by field', () => {
    const decoded = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans)!);
    expect(decoded.rejectedSpans).toBe(0);
    expect(decoded.rejectionMessage).toBe('');
    expectDecodedSdkSpans(decoded.spans, sdkSpans, 'protobuf');
  });

  it('decodes the JSON request field by field, including an int64 beyond 2^53 sent as a JSON number', () => {
    const body = JsonTraceSerializer.serializeRequest(sdkSpans)!;
    expect(Buffer.from(body).toString()).toContain('"intValue":1152921504606847000');
    const decoded = decodeTracesJson(body);
    expect(decoded.rejectedSpans).toBe(0);
    expectDecodedSdkSpans(decoded.spans, sdkSpans, 'json');
  });

  it('gives every span of one ResourceSpans the same resource object', () => {
    const decoded = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans)!);
    expect(decoded.spans[1]!.resource).toBe(decoded.spans[0]!.resource);
  });
});
