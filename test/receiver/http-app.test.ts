import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../processor/src/pipeline/trace-sink.js';
import { ReceiverMetrics, createApp } from '../../processor/src/receiver/index.js';
import { decodeRpcStatus } from '../otlp/rpc-status.js';
import { PARENT_ID, bytes, kv, len, request, span, str, uint } from '../otlp/wire.js';
import { MemorySink, recordingLogger } from './support.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const LIMIT = 64 * 1024;

const sink = new MemorySink();
const metrics = new ReceiverMetrics();
const log = recordingLogger();
const app = createApp({ sink, logger: log.logger, bodyLimitBytes: LIMIT, metrics });

afterEach(() => sink.reset());

function post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return Promise.resolve(app.request(path, { method: 'POST', body, headers }));
}

const validProtobuf = (): Uint8Array => request([span({ parentSpanId: PARENT_ID, attributes: [kv('gen_ai.request.model', str(1, 'gpt-4.1'))] })]);
const validJson = (spans: unknown[] = [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', startTimeUnixNano: '1', endTimeUnixNano: '2' }]): string =>
  JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

async function protobufStatus(response: Response): Promise<{ code: number; message: string }> {
  expect(response.headers.get('content-type')).toBe(PROTOBUF);
  const { code, message } = decodeRpcStatus(new Uint8Array(await response.arrayBuffer()));
  return { code, message };
}

async function jsonBody(response: Response): Promise<unknown> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
}

describe('POST /v1/traces: success', () => {
  it('accepts protobuf and answers an empty ExportTraceServiceResponse in protobuf', async () => {
    const response = await post('/v1/traces', validProtobuf(), { 'content-type': PROTOBUF });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROTOBUF);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect(sink.spans).toHaveLength(1);
    expect(sink.spans[0]?.attributes).toStrictEqual({ 'gen_ai.request.model': 'gpt-4.1' });
    expect(sink.exports[0]?.context.transport).toBe('http');
    expect(sink.exports[0]?.context.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts JSON with a charset parameter and answers {} in JSON', async () => {
    const response = await post('/v1/traces', validJson(), { 'content-type': 'application/json; charset=utf-8' });
    expect(response.status).toBe(200);
    expect(await jsonBody(response)).toStrictEqual({});
    expect(sink.spans.map((s) => s.endTimeUnixNano)).toStrictEqual([2n]);
  });

  it('accepts gzip bodies in both formats', async () => {
    const protobuf = await post('/v1/traces', gzipSync(validProtobuf()), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    const json = await post('/v1/traces', gzipSync(validJson()), { 'content-type': JSON_TYPE, 'content-encoding': 'GZIP' });
    expect([protobuf.status, json.status]).toStrictEqual([200, 200]);
    expect(sink.spans).toHaveLength(2);
  });

  it('does not call the sink for an empty export', async () => {
    const response = await post('/v1/traces', '{}', { 'content-type': JSON_TYPE });
    expect(response.status).toBe(200);
    expect(sink.exports).toHaveLength(0);
  });
});

describe('POST /v1/traces: partial success', () => {
  const mixed = (): Uint8Array =>
    request([span({ spanId: '0000000000000001' }), span({ spanId: 'abcd' }), span({ spanId: '' }), span({ spanId: '0000000000000002' })]);

  it('accepts the valid spans and reports the rejected ones (protobuf)', async () => {
    const response = await post('/v1/traces', mixed(), { 'content-type': PROTOBUF });
    expect(response.status).toBe(200);
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await response.arrayBuffer()))).toStrictEqual({
      partialSuccess: {
        rejectedSpans: 2,
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].spanId: must be 8 bytes (16 hex characters), got 2 bytes',
      },
    });
    expect(sink.spans.map((s) => s.spanId)).toStrictEqual(['0000000000000001', '0000000000000002']);
    expect(sink.exports[0]?.traces.rejectedSpans).toBe(2);
  });

  it('answers the decoder\'s rejections without calling the sink when no span is valid', async () => {
    const response = await post('/v1/traces', request([span({ spanId: '' })]), { 'content-type': PROTOBUF });
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await response.arrayBuffer()))).toStrictEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[0].spanId: missing or empty' },
    });
    expect(sink.exports).toHaveLength(0);
  });

  it('answers the sink\'s outcome, which includes the decoder\'s rejections (JSON)', async () => {
    sink.answer = (traces) => ({ rejectedSpans: traces.rejectedSpans + 1, errorMessage: `${traces.rejectionMessage}; duplicate span` });
    const body = validJson([
      { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' },
      { traceId: '5b8efff798038103d269b633813fc6', spanId: 'eee19b7ec3c1b175' },
    ]);
    const response = await post('/v1/traces', body, { 'content-type': JSON_TYPE });
    expect(response.status).toBe(200);
    expect(await jsonBody(response)).toStrictEqual({
      partialSuccess: {
        rejectedSpans: '2',
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes (32 hex characters), got 15 bytes; duplicate span',
      },
    });
  });
});

describe('POST /v1/traces: 400 for undecodable requests, as google.rpc.Status in the request\'s format', () => {
  it.each([
    ['garbage', new Uint8Array(12).fill(0xff), 'varint longer than 10 bytes at byte 0'],
    ['a truncated request', validProtobuf().subarray(0, 40), 'resourceSpans[0]: length'],
    ['a wrong wire type', request([[...uint(1, 5)]]), 'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected wire type 2 (length-delimited), got 0 (varint)'],
  ])('protobuf: %s', async (_name, body, message) => {
    const response = await post('/v1/traces', body, { 'content-type': PROTOBUF });
    expect(response.status).toBe(400);
    const status = await protobufStatus(response);
    expect(status.code).toBe(3);
    expect(status.message.startsWith(message)).toBe(true);
    expect(sink.exports).toHaveLength(0);
  });

  it.each([
    ['bad JSON', '{"resourceSpans": [', /^request body is not valid JSON: /],
    ['wrong types', validJson([{ name: ['x'] }]), /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: expected a string, got an array$/],
    ['a non-hex id', validJson([{ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: 'eee19b7ec3c1b174' }]), /traceId: expected an id as an even number of hex characters/],
  ])('JSON: %s', async (_name, body, message) => {
    const response = await post('/v1/traces', body, { 'content-type': JSON_TYPE });
    expect(response.status).toBe(400);
    const status = (await jsonBody(response)) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(message);
  });

  it('refuses a body that is not gzip, or truncated gzip', async () => {
    const notGzip = await post('/v1/traces', validProtobuf(), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect((await protobufStatus(notGzip)).message).toBe('request body is not valid gzip: incorrect header check');
    const gz = gzipSync(validJson());
    const truncated = await post('/v1/traces', gz.subarray(0, gz.length - 8), { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
    expect(truncated.status).toBe(400);
    expect(await jsonBody(truncated)).toStrictEqual({ code: 3, message: 'request body is not valid gzip: unexpected end of file' });
  });
});

describe('POST /v1/traces: 415 and 413', () => {
  it('refuses other content types and encodings with 415', async () => {
    const text = await post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(await jsonBody(text)).toStrictEqual({
      code: 3,
      message: 'unsupported content type "text/plain": send application/x-protobuf or application/json',
    });
    const latin1 = await post('/v1/traces', validJson(), { 'content-type': 'application/json; charset=iso-8859-1' });
    expect(latin1.status).toBe(415);
    const brotli = await post('/v1/traces', validProtobuf(), { 'content-type': PROTOBUF, 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect((await protobufStatus(brotli)).message).toBe('unsupported content encoding "br": send gzip or no Content-Encoding');
    expect(sink.exports).toHaveLength(0);
  });

  it('refuses a body over the limit with 413, also when only its inflated size is over', async () => {
    const big = request([span({ attributes: [kv('blob', str(1, 'x'.repeat(LIMIT)))] })]);
    const plain = await post('/v1/traces', big, { 'content-type': PROTOBUF });
    expect(plain.status).toBe(413);
    expect((await protobufStatus(plain)).message).toBe(
      `request body exceeds the limit of ${LIMIT} bytes (after decompression); send smaller batches`,
    );
    const compressed = gzipSync(big);
    expect(compressed.length).toBeLessThan(LIMIT);
    const inflated = await post('/v1/traces', compressed, { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(sink.exports).toHaveLength(0);
  });

  it('stops inflating a gzip bomb at the limit: 413 without the process growing by the inflated size', async () => {
    // 1 GiB of zeros as 1024 concatenated gzip members (one valid gzip stream), about 1 MiB on the wire.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const bigLimitApp = createApp({ sink, logger: pino({ level: 'silent' }), bodyLimitBytes: 16 * 1024 * 1024 });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const response = await bigLimitApp.request('/v1/traces', {
      method: 'POST',
      body: bomb,
      headers: { 'content-type': PROTOBUF, 'content-encoding': 'gzip' },
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(response.status).toBe(413);
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('POST /v1/traces: sink failures are retryable, never 500', () => {
  it('maps a RetryableError to its status with Retry-After', async () => {
    sink.answer = () => {
      throw new RetryableError('write queue full', 3, 429);
    };
    const throttled = await post('/v1/traces', validProtobuf(), { 'content-type': PROTOBUF });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(await protobufStatus(throttled)).toStrictEqual({ code: 14, message: 'write queue full' });

    sink.answer = () => {
      throw new RetryableError('storage busy', 0.2);
    };
    const unavailable = await post('/v1/traces', validJson(), { 'content-type': JSON_TYPE });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    expect(await jsonBody(unavailable)).toStrictEqual({ code: 14, message: 'storage busy' });
  });

  it('maps any other sink error to 503 with Retry-After, and logs it', async () => {
    sink.answer = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const response = await post('/v1/traces', validProtobuf(), { 'content-type': PROTOBUF });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await protobufStatus(response)).toStrictEqual({ code: 14, message: 'the data could not be stored right now; retry later' });
    expect(log.records.some((r) => r.level === 50 && r.msg === 'trace sink failed; client told to retry')).toBe(true);
  });
});

describe('other routes', () => {
  it.each(['logs', 'metrics'])('POST /v1/%s answers an empty success in the request\'s format and drops the data', async (signal) => {
    const protobuf = await post(`/v1/${signal}`, bytes(len(1, len(1))), { 'content-type': PROTOBUF });
    expect(protobuf.status).toBe(200);
    expect(protobuf.headers.get('content-type')).toBe(PROTOBUF);
    expect((await protobuf.arrayBuffer()).byteLength).toBe(0);
    const json = await post(`/v1/${signal}`, gzipSync('{}'), { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
    expect(json.status).toBe(200);
    expect(await jsonBody(json)).toStrictEqual({});
    expect((await post(`/v1/${signal}`, 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(sink.exports).toHaveLength(0);
  });

  it('GET /healthz answers ok', async () => {
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toStrictEqual({ status: 'ok' });
  });

  it('lets other parts mount sub-apps that share the error handling', async () => {
    const mounted = createApp({ sink, logger: pino({ level: 'silent' }), bodyLimitBytes: LIMIT });
    const reports = new Hono()
      .get('/ok', (c) => c.json({ rows: 1 }))
      .get('/missing', () => {
        throw new HTTPException(404, { message: 'no such report' });
      })
      .get('/bug', () => {
        throw new Error('bug');
      });
    mounted.route('/v1/reports', reports);
    expect(await (await mounted.request('/v1/reports/ok')).json()).toStrictEqual({ rows: 1 });
    const missing = await mounted.request('/v1/reports/missing');
    expect([missing.status, await missing.text()]).toStrictEqual([404, 'no such report']);
    const bug = await mounted.request('/v1/reports/bug');
    expect([bug.status, await bug.json()]).toStrictEqual([500, { code: 13, message: 'internal error' }]);
  });
});

describe('receiver metrics', () => {
  it('counts spans and requests by transport, signal and outcome', async () => {
    const counted = new ReceiverMetrics();
    const countedApp = createApp({ sink, logger: pino({ level: 'silent' }), bodyLimitBytes: LIMIT, metrics: counted });
    const send = (body: Uint8Array, path = '/v1/traces'): Promise<Response> =>
      Promise.resolve(countedApp.request(path, { method: 'POST', body, headers: { 'content-type': PROTOBUF } }));
    await send(request([span(), span({ spanId: '01' })]));
    await send(request([span()]));
    await send(new Uint8Array([0xff]));
    await send(bytes(len(1)), '/v1/logs');
    sink.answer = () => {
      throw new RetryableError('full', 1);
    };
    await send(request([span(), span()]));
    const snapshot = counted.snapshot();
    expect(snapshot.spans.http).toStrictEqual({ accepted: 2, rejected: 1, refused: 2 });
    expect(snapshot.spans.grpc).toStrictEqual({ accepted: 0, rejected: 0, refused: 0 });
    expect(snapshot.requests.sort((a, b) => a.outcome.localeCompare(b.outcome))).toStrictEqual([
      { transport: 'http', signal: 'traces', outcome: 'invalid', count: 1 },
      { transport: 'http', signal: 'traces', outcome: 'ok', count: 1 },
      { transport: 'http', signal: 'logs', outcome: 'ok', count: 1 },
      { transport: 'http', signal: 'traces', outcome: 'partial', count: 1 },
      { transport: 'http', signal: 'traces', outcome: 'retryable', count: 1 },
    ]);
  });
});
