import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, decodeTracesProtobuf } from '../../processor/src/otlp/index.js';
import {
  I32,
  I64,
  PARENT_ID,
  SPAN_ID,
  T0,
  TRACE_ID,
  VARINT,
  bytes,
  double,
  fixed64,
  hexBytes,
  kv,
  len,
  request,
  span,
  str,
  tag,
  uint,
  varint,
} from './wire.js';

const SPAN_PATH = 'resourceSpans[0].scopeSpans[0].spans[0]';

function decodeError(body: Uint8Array): string {
  try {
    decodeTracesProtobuf(body);
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return (error as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('decodeTracesProtobuf: valid requests', () => {
  it('decodes a hand-built span with every attribute value type', () => {
    const decoded = decodeTracesProtobuf(
      request([
        span({
          parentSpanId: PARENT_ID,
          attributes: [
            kv('s', str(1, 'openai')),
            kv('b', uint(2, 1)),
            kv('i', uint(3, 1250)),
            kv('neg', uint(3, -1)),
            kv('min', uint(3, -(2n ** 63n))),
            kv('max.safe', uint(3, 2 ** 53 - 1)),
            kv('beyond.safe', uint(3, 2n ** 53n)),
            kv('d', double(4, 0.25)),
            kv('nan', double(4, Number.NaN)),
            kv('arr', len(5, len(1, str(1, 'a')), len(1, uint(3, 7)), len(1))),
            kv('kv', len(6, len(1, kv('inner', uint(2, 0))), len(1, kv('deeper', len(6, len(1, kv('x', str(1, 'y')))))))),
            kv('bytes', len(7, [0, 1, 254, 255])),
            kv('empty'),
          ],
          extra: [len(13, hexBytes(1, TRACE_ID), hexBytes(2, PARENT_ID), len(4, kv('link.attr', str(1, 'v')))), len(15, str(2, 'boom'), uint(3, 2))],
        }),
      ]),
    );
    expect(decoded.rejectedSpans).toBe(0);
    expect(decoded.spans).toStrictEqual([
      {
        resource: { 'service.name': 'checkout' },
        scopeName: 'scope-a',
        scopeVersion: '1.0.0',
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: PARENT_ID,
        name: 'chat gpt-4.1',
        kind: 3,
        startTimeUnixNano: T0,
        endTimeUnixNano: T0 + 1_000_000n,
        attributes: {
          s: 'openai',
          b: true,
          i: 1250,
          neg: -1,
          min: -(2n ** 63n),
          'max.safe': 2 ** 53 - 1,
          'beyond.safe': 2n ** 53n,
          d: 0.25,
          nan: Number.NaN,
          arr: ['a', 7, null],
          kv: { inner: false, deeper: { x: 'y' } },
          bytes: new Uint8Array([0, 1, 254, 255]),
          empty: null,
        },
        statusCode: 2,
        statusMessage: 'boom',
        links: [{ traceId: TRACE_ID, spanId: PARENT_ID, attributes: { 'link.attr': 'v' } }],
      },
    ]);
  });

  it('accepts fields in any order: the scope after its spans, the resource after its scope spans', () => {
    const scopeSpans = [...len(2, span()), ...len(1, str(1, 'late-scope'), str(2, '2.0'))];
    const body = bytes(len(1, len(2, scopeSpans), len(1, len(1, kv('service.name', str(1, 'late'))))));
    const [decoded] = decodeTracesProtobuf(body).spans;
    expect(decoded?.scopeName).toBe('late-scope');
    expect(decoded?.scopeVersion).toBe('2.0');
    expect(decoded?.resource).toStrictEqual({ 'service.name': 'late' });
  });

  it('skips unknown fields of every wire type, groups included, and profiling-only string indexes', () => {
    const group = [...tag(30, 3), ...uint(1, 5), ...tag(30, 4)];
    const unknown = [...uint(99, 1), ...fixed64(98, 1n), ...tag(97, I32), 1, 2, 3, 4, ...str(96, 'x'), ...group];
    const body = bytes(
      unknown,
      len(1, unknown, len(1000, str(1, 'old')), len(2, unknown, len(2, span({ extra: [unknown], attributes: [[...kv('k', uint(8, 3)), ...uint(3, 4)]] })))),
    );
    const decoded = decodeTracesProtobuf(body);
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.spans[0]?.attributes).toStrictEqual({ k: null });
  });

  it('keeps a "__proto__" attribute as an ordinary key', () => {
    const [decoded] = decodeTracesProtobuf(request([span({ attributes: [kv('__proto__', str(1, 'x'))] })])).spans;
    expect(Object.keys(decoded!.attributes)).toStrictEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded!.attributes)).toBe(Object.prototype);
  });

  it('treats an all-zero parent span id as no parent', () => {
    const [decoded] = decodeTracesProtobuf(request([span({ parentSpanId: '0000000000000000' })])).spans;
    expect(decoded?.parentSpanId).toBe('');
  });

  it('decodes an empty request to no spans', () => {
    expect(decodeTracesProtobuf(new Uint8Array())).toStrictEqual({ spans: [], rejectedSpans: 0, rejectionMessage: '' });
  });
});

describe('decodeTracesProtobuf: invalid spans are rejected one by one (partial success)', () => {
  it('counts each invalid span and reports the first reason with its path', () => {
    const decoded = decodeTracesProtobuf(
      request([
        span({ spanId: '0000000000000001' }),
        span({ traceId: '5b8efff798038103d269b633813fc6' }),
        span({ spanId: '' }),
        span({ traceId: '00000000000000000000000000000000' }),
        span({ start: T0, end: T0 - 1n }),
        span({ parentSpanId: 'abcd' }),
        span({ extra: [len(13, hexBytes(1, TRACE_ID), hexBytes(2, 'ff'))] }),
        span({ spanId: '0000000000000002' }),
      ]),
    );
    expect(decoded.spans.map((s) => s.spanId)).toStrictEqual(['0000000000000001', '0000000000000002']);
    expect(decoded.rejectedSpans).toBe(6);
    expect(decoded.rejectionMessage).toBe(
      'resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes (32 hex characters), got 15 bytes',
    );
  });

  it.each([
    [{ spanId: '' }, 'spanId: missing or empty'],
    [{ traceId: '00000000000000000000000000000000' }, 'traceId: must not be all zeros'],
    [{ start: T0, end: T0 - 1n }, `endTimeUnixNano: ${T0 - 1n} is before startTimeUnixNano ${T0}`],
    [{ parentSpanId: 'abcd' }, 'parentSpanId: must be 8 bytes (16 hex characters), got 2 bytes'],
    [{ extra: [len(13, hexBytes(1, TRACE_ID), hexBytes(2, 'ff'))] }, 'links[0].spanId: must be 8 bytes (16 hex characters), got 1 bytes'],
  ])('%o → %s', (fields, reason) => {
    const decoded = decodeTracesProtobuf(request([span(fields)]));
    expect(decoded.spans).toHaveLength(0);
    expect(decoded.rejectedSpans).toBe(1);
    expect(decoded.rejectionMessage).toBe(`${SPAN_PATH}.${reason}`);
  });
});

describe('decodeTracesProtobuf: undecodable requests', () => {
  it('refuses garbage', () => {
    expect(decodeError(new Uint8Array(12).fill(0xff))).toBe('varint longer than 10 bytes at byte 0');
    expect(decodeError(bytes([0x0f, 1, 2]))).toBe('invalid wire type 7 (field 1) at byte 1');
    expect(decodeError(bytes(uint(0, 1)))).toBe('invalid field number 0 at byte 1');
  });

  it('refuses a truncated request', () => {
    const whole = request([span()]);
    expect(decodeError(whole.subarray(0, whole.length - 10))).toBe(
      `resourceSpans[0]: length ${whole.length - 2} overruns the enclosing message by 10 bytes`,
    );
    expect(decodeError(bytes(tag(1, 2)))).toBe('resourceSpans[0]: truncated: the request ends at byte 1 inside a field');
  });

  it('refuses a field that runs past the end of its enclosing message', () => {
    const body = request([[...hexBytes(1, TRACE_ID), ...tag(7, I64), 1, 2, 3], span()]);
    expect(decodeError(body)).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: field runs past the end of its enclosing message \(byte \d+\)$/,
    );
  });

  it('refuses known fields sent with the wrong wire type, naming the field', () => {
    expect(decodeError(bytes(uint(1, 5)))).toBe('resourceSpans: expected wire type 2 (length-delimited), got 0 (varint)');
    expect(decodeError(request([[...uint(1, 5)]]))).toBe(
      `${SPAN_PATH}.traceId: expected wire type 2 (length-delimited), got 0 (varint)`,
    );
    expect(decodeError(request([span({ extra: [uint(7, T0)] })]))).toBe(
      `${SPAN_PATH}.startTimeUnixNano: expected wire type 1 (fixed64), got 0 (varint)`,
    );
    expect(decodeError(request([span({ attributes: [kv('a'), kv('b', fixed64(3, 1n))] })]))).toBe(
      `${SPAN_PATH}.attributes[1].value.intValue: expected wire type 0 (varint), got 1 (fixed64)`,
    );
    expect(decodeError(request([span({ attributes: [kv('arr', len(5, len(1, str(1, 'ok')), len(1, [...tag(1, VARINT), ...varint(1)])))] })]))).toBe(
      `${SPAN_PATH}.attributes[0].value.arrayValue.values[1].stringValue: expected wire type 2 (length-delimited), got 0 (varint)`,
    );
    expect(decodeError(request([span()], [kv('service.name', uint(1, 3))]))).toBe(
      'resourceSpans[0].resource.attributes[0].value.stringValue: expected wire type 2 (length-delimited), got 0 (varint)',
    );
  });

  it('refuses values nested deeper than 100 levels instead of overflowing the stack', () => {
    let value = str(1, 'bottom');
    for (let i = 0; i < 150; i++) value = len(5, len(1, value));
    expect(decodeError(request([span({ attributes: [kv('deep', value)] })]))).toMatch(/values nested deeper than 100 levels$/);
  });
});
