import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, decodeTracesJson } from '../../processor/src/otlp/index.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const SPAN_PATH = 'resourceSpans[0].scopeSpans[0].spans[0]';

function jsonSpan(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: 'chat gpt-4.1',
    kind: 3,
    startTimeUnixNano: '1763800000123456789',
    endTimeUnixNano: '1763800000124456789',
    ...fields,
  };
}

function jsonRequest(spans: unknown[], resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }): string {
  return JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'scope-a', version: '1.0.0' }, spans }] }] });
}

function decodeError(body: string): string {
  try {
    decodeTracesJson(body);
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return (error as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('decodeTracesJson: OTLP/JSON specifics', () => {
  it('decodes every AnyValue type, hex ids case-insensitively and enums given as integers or names', () => {
    const body = jsonRequest([
      jsonSpan({
        traceId: TRACE_ID.toUpperCase(),
        parentSpanId: 'EEE19B7EC3C1B173',
        kind: 'SPAN_KIND_CLIENT',
        attributes: [
          { key: 's', value: { stringValue: 'openai' } },
          { key: 'i.string', value: { intValue: '1250' } },
          { key: 'i.number', value: { intValue: 1250 } },
          { key: 'i.negative', value: { intValue: '-9223372036854775808' } },
          { key: 'd', value: { doubleValue: 0.25 } },
          { key: 'd.integral', value: { doubleValue: 3 } },
          { key: 'd.string', value: { doubleValue: '1.5' } },
          { key: 'd.nan', value: { doubleValue: 'NaN' } },
          { key: 'd.inf', value: { doubleValue: '-Infinity' } },
          { key: 'b', value: { boolValue: true } },
          { key: 'bytes', value: { bytesValue: 'AAH+/w==' } },
          { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '7' }, {}] } } },
          { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
          { key: 'empty', value: {} },
          { key: 'missing' },
          { key: 'strindex', value: { stringValueStrindex: 3 } },
        ],
        links: [{ traceId: TRACE_ID, spanId: 'EEE19B7EC3C1B173', attributes: [{ key: 'l', value: { stringValue: 'v' } }] }],
        status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
        unknownField: { anything: [1, 2] },
      }),
    ]);
    const decoded = decodeTracesJson(body);
    expect(decoded.rejectedSpans).toBe(0);
    expect(decoded.spans).toStrictEqual([
      {
        resource: { 'service.name': 'checkout' },
        scopeName: 'scope-a',
        scopeVersion: '1.0.0',
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: 'eee19b7ec3c1b173',
        name: 'chat gpt-4.1',
        kind: 3,
        startTimeUnixNano: 1_763_800_000_123_456_789n,
        endTimeUnixNano: 1_763_800_000_124_456_789n,
        attributes: {
          s: 'openai',
          'i.string': 1250,
          'i.number': 1250,
          'i.negative': -(2n ** 63n),
          d: 0.25,
          'd.integral': 3,
          'd.string': 1.5,
          'd.nan': Number.NaN,
          'd.inf': Number.NEGATIVE_INFINITY,
          b: true,
          bytes: new Uint8Array([0, 1, 254, 255]),
          arr: ['a', 7, null],
          kv: { inner: false },
          empty: null,
          missing: null,
          strindex: null,
        },
        statusCode: 2,
        statusMessage: 'boom',
        links: [{ traceId: TRACE_ID, spanId: 'eee19b7ec3c1b173', attributes: { l: 'v' } }],
      },
    ]);
  });

  it('keeps every digit of 64-bit integers sent as JSON numbers beyond 2^53', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",
      "startTimeUnixNano":1763800000123456789,"endTimeUnixNano": 1763800000123456799,
      "attributes":[{"key":"big","value":{"intValue":9007199254740993}},
                    {"key":"note","value":{"stringValue":"text \\" with :12345678901234567890 inside"}},
                    {"key":"small","value":{"intValue":-42}}, {"key":"d","value":{"doubleValue":1.2345678901234567}}]}]}]}]}`;
    const [span] = decodeTracesJson(body).spans;
    expect(span?.startTimeUnixNano).toBe(1_763_800_000_123_456_789n);
    expect(span?.endTimeUnixNano).toBe(1_763_800_000_123_456_799n);
    expect(span?.attributes).toStrictEqual({
      big: 9_007_199_254_740_993n,
      note: 'text " with :12345678901234567890 inside',
      small: -42,
      d: 1.2345678901234567,
    });
  });

  it('accepts null for any field, as proto3 JSON does', () => {
    const body = jsonRequest([jsonSpan({ parentSpanId: null, attributes: null, links: null, status: null, kind: null })], null);
    const [span] = decodeTracesJson(body).spans;
    expect(span?.parentSpanId).toBe('');
    expect(span?.kind).toBe(0);
    expect(span?.resource).toStrictEqual({});
  });

  it('decodes an empty object to no spans, with or without a byte order mark', () => {
    expect(decodeTracesJson('{}')).toStrictEqual({ spans: [], rejectedSpans: 0, rejectionMessage: '' });
    expect(decodeTracesJson(Buffer.from('\uFEFF{"resourceSpans":[]}'))).toStrictEqual({ spans: [], rejectedSpans: 0, rejectionMessage: '' });
  });
});

describe('decodeTracesJson: invalid spans are rejected one by one (partial success)', () => {
  it('counts each invalid span and reports the first reason with its path', () => {
    const decoded = decodeTracesJson(
      jsonRequest([
        jsonSpan({ spanId: '0000000000000001' }),
        jsonSpan({ traceId: TRACE_ID.slice(2) }),
        jsonSpan({ spanId: '' }),
        jsonSpan({ traceId: undefined }),
        jsonSpan({ startTimeUnixNano: '2', endTimeUnixNano: '1' }),
        jsonSpan({ spanId: '0000000000000002' }),
      ]),
    );
    expect(decoded.spans.map((s) => s.spanId)).toStrictEqual(['0000000000000001', '0000000000000002']);
    expect(decoded.rejectedSpans).toBe(4);
    expect(decoded.rejectionMessage).toBe(
      'resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes (32 hex characters), got 15 bytes',
    );
  });
});

describe('decodeTracesJson: undecodable requests', () => {
  it('refuses text that is not JSON', () => {
    expect(decodeError('{"resourceSpans": [')).toMatch(/^request body is not valid JSON: /);
    expect(decodeError('')).toMatch(/^request body is not valid JSON: /);
  });

  it('refuses JSON of the wrong shape, naming the field', () => {
    expect(decodeError('[]')).toBe('expected a JSON object (ExportTraceServiceRequest), got an array');
    expect(decodeError('{"resourceSpans":{}}')).toBe('resourceSpans: expected a JSON array, got an object');
    expect(decodeError('{"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]}')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0]: expected a JSON object (Span), got number 7',
    );
    expect(decodeError(jsonRequest([jsonSpan({ name: 5 })]))).toBe(`${SPAN_PATH}.name: expected a string, got number 5`);
    expect(decodeError(jsonRequest([jsonSpan({ startTimeUnixNano: 'soon' })]))).toBe(
      `${SPAN_PATH}.startTimeUnixNano: expected an unsigned 64-bit integer (decimal string or number), got "soon"`,
    );
    expect(decodeError(jsonRequest([jsonSpan({ kind: 'SERVER' })]))).toBe(
      `${SPAN_PATH}.kind: expected an integer enum value, got "SERVER"`,
    );
    expect(decodeError(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { intValue: '12a' } }] })]))).toBe(
      `${SPAN_PATH}.attributes[0].value.intValue: expected a signed 64-bit integer (decimal string or number), got "12a"`,
    );
    expect(decodeError(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { boolValue: 'true' } }] })]))).toBe(
      `${SPAN_PATH}.attributes[0].value.boolValue: expected true or false, got "true"`,
    );
    expect(
      decodeError(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 1.5 }] } } }] })])),
    ).toBe(`${SPAN_PATH}.attributes[0].value.arrayValue.values[0].intValue: expected a signed 64-bit integer (decimal string or number), got number 1.5`);
    expect(decodeError(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { stringValue: 'x', intValue: 1 } }] })]))).toBe(
      `${SPAN_PATH}.attributes[0].value: more than one value is set (stringValue and intValue)`,
    );
    const exponentForm = jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { intValue: 0 } }] })]).replace('"intValue":0', '"intValue":1e18');
    expect(decodeError(exponentForm)).toBe(
      `${SPAN_PATH}.attributes[0].value.intValue: integer beyond 2^53 written in exponent form; send 64-bit integers as decimal strings`,
    );
    expect(decodeError(jsonRequest([jsonSpan()], { attributes: [{ key: 1 }] }))).toBe(
      'resourceSpans[0].resource.attributes[0].key: expected a string, got number 1',
    );
  });

  it('refuses ids that are not hex, as when a client sends proto3 base64 ids', () => {
    expect(decodeError(jsonRequest([jsonSpan({ traceId: 'W47/95gDgQPSabYzgT/GDA==' })]))).toBe(
      `${SPAN_PATH}.traceId: expected an id as an even number of hex characters (OTLP/JSON ids are hex, not base64), got "W47/95gDgQPSabYzgT/GDA=="`,
    );
    expect(decodeError(jsonRequest([jsonSpan({ spanId: 'eee19b7ec3c1b17' })]))).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.spanId: expected an id/);
    expect(decodeError(jsonRequest([jsonSpan({ links: [{ traceId: TRACE_ID, spanId: 12 }] })]))).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.links\[0\]\.spanId: expected an id/,
    );
  });

  it('refuses bytes that are not base64', () => {
    expect(decodeError(jsonRequest([jsonSpan({ attributes: [{ key: 'b', value: { bytesValue: 'not base64!' } }] })]))).toBe(
      `${SPAN_PATH}.attributes[0].value.bytesValue: expected base64 bytes, got "not base64!"`,
    );
  });
});
