import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import {
  RpcCode,
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeExportResponseJson,
  encodeExportResponseProtobuf,
  encodeStatusJson,
  encodeStatusProtobuf,
  encodeTracesJson,
  encodeTracesProtobuf,
  retryInfoDetail,
  type Attributes,
  type DecodedSpan,
} from '../../processor/src/otlp/index.js';
import { decodeRetryDelaySeconds, decodeRpcStatus } from './rpc-status.js';

function spansToRoundTrip(): DecodedSpan[] {
  const search: Attributes = { 'service.name': 'search-api', 'chargeback.team': 'search', 'process.pid': 4242 };
  const billing: Attributes = { 'service.name': 'billing', 'host.tags': ['a', 'b'] };
  const base = {
    kind: 3,
    startTimeUnixNano: 1_763_800_000_123_456_789n,
    endTimeUnixNano: 18_446_744_073_709_551_615n,
    statusCode: 0,
    statusMessage: '',
    links: [],
  };
  return [
    {
      ...base,
      resource: search,
      scopeName: 'openai-instrumentation',
      scopeVersion: '0.21.0',
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      name: 'chat gpt-4.1',
      attributes: {
        'gen_ai.request.model': 'gpt-4.1',
        'gen_ai.usage.input_tokens': 1250,
        'negative': -7,
        'big': 2n ** 62n,
        'big.negative': -(2n ** 63n),
        'ratio': 0.125,
        'nan': Number.NaN,
        'inf': Number.POSITIVE_INFINITY,
        'flag': true,
        'unicode': 'ünïcødé ✓',
        'bytes': new Uint8Array([0, 255, 7]),
        'list': ['stop', 3, false, null, [1.5, { nested: 'yes' }]],
        'map': { a: 1, b: { c: [] }, d: null },
        'nothing': null,
      },
      statusCode: 2,
      statusMessage: 'rate limited',
      links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: { attempt: 2 } }],
    },
    { ...base, resource: search, scopeName: 'openai-instrumentation', scopeVersion: '0.21.0', traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b175', parentSpanId: '', name: 'second', attributes: {} },
    { ...base, resource: search, scopeName: 'other', scopeVersion: '', traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b176', parentSpanId: '', name: 'third', kind: 0, attributes: {} },
    { ...base, resource: billing, scopeName: '', scopeVersion: '', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '', name: 'invoice', attributes: { 'x': 'y' } },
  ];
}

describe('request encoders', () => {
  it('round-trips DecodedSpans through protobuf', () => {
    const spans = spansToRoundTrip();
    const decoded = decodeTracesProtobuf(encodeTracesProtobuf(spans));
    expect(decoded).toStrictEqual({ spans, rejectedSpans: 0, rejectionMessage: '' });
    expect(decoded.spans[1]!.resource).toBe(decoded.spans[0]!.resource);
    expect(decoded.spans[3]!.resource).not.toBe(decoded.spans[0]!.resource);
  });

  it('round-trips DecodedSpans through JSON, with 64-bit integers as strings', () => {
    const spans = spansToRoundTrip();
    const json = encodeTracesJson(spans);
    expect(json).toContain('"startTimeUnixNano":"1763800000123456789"');
    expect(json).toContain('"intValue":"4611686018427387904"');
    expect(json).toContain('"doubleValue":"Infinity"');
    expect(decodeTracesJson(json)).toStrictEqual({ spans, rejectedSpans: 0, rejectionMessage: '' });
  });

  it('groups spans into one ResourceSpans per resource and one ScopeSpans per scope', () => {
    const body = JSON.parse(encodeTracesJson(spansToRoundTrip())) as { resourceSpans: { scopeSpans: { scope: { name: string } }[] }[] };
    expect(body.resourceSpans.map((r) => r.scopeSpans.map((s) => s.scope.name))).toStrictEqual([['openai-instrumentation', 'other'], ['']]);
  });

  it('refuses a bigint that does not fit int64', () => {
    const [span] = spansToRoundTrip();
    const tooBig = { ...span!, attributes: { huge: 2n ** 63n } };
    expect(() => encodeTracesProtobuf([tooBig])).toThrow(RangeError);
    expect(() => encodeTracesJson([tooBig])).toThrow('attribute value 9223372036854775808 does not fit a signed 64-bit integer');
  });
});

describe('response encoders', () => {
  it('encodes an ExportTraceServiceResponse the OTLP exporters can read', () => {
    const partial = ProtobufTraceSerializer.deserializeResponse(encodeExportResponseProtobuf({ rejected: 3, errorMessage: 'bad ids' }));
    expect(partial).toStrictEqual({ partialSuccess: { rejectedSpans: 3, errorMessage: 'bad ids' } });
    const warning = ProtobufTraceSerializer.deserializeResponse(encodeExportResponseProtobuf({ rejected: 0, errorMessage: 'slow down' }));
    expect(warning).toStrictEqual({ partialSuccess: { errorMessage: 'slow down' } });
    expect(encodeExportResponseProtobuf({ rejected: 0, errorMessage: '' })).toHaveLength(0);
    expect(encodeExportResponseProtobuf()).toHaveLength(0);
  });

  it('encodes JSON responses with each signal\'s field name', () => {
    expect(JSON.parse(encodeExportResponseJson('traces', { rejected: 3, errorMessage: 'bad ids' }))).toStrictEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'bad ids' },
    });
    expect(JSON.parse(encodeExportResponseJson('logs', { rejected: 1, errorMessage: 'x' }))).toStrictEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: 'x' },
    });
    expect(JSON.parse(encodeExportResponseJson('metrics', { rejected: 2, errorMessage: 'y' }))).toStrictEqual({
      partialSuccess: { rejectedDataPoints: '2', errorMessage: 'y' },
    });
    expect(encodeExportResponseJson('traces')).toBe('{}');
  });

  it('encodes google.rpc.Status with RetryInfo details', () => {
    const bytes = encodeStatusProtobuf({ code: RpcCode.UNAVAILABLE, message: 'busy', details: [retryInfoDetail(2.5)] });
    const status = decodeRpcStatus(bytes);
    expect(status.code).toBe(14);
    expect(status.message).toBe('busy');
    expect(status.details).toHaveLength(1);
    expect(status.details[0]!.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
    expect(decodeRetryDelaySeconds(status.details[0]!.value)).toBe(2.5);
    expect(JSON.parse(encodeStatusJson({ code: RpcCode.INVALID_ARGUMENT, message: 'bad' }))).toStrictEqual({ code: 3, message: 'bad' });
  });
});
