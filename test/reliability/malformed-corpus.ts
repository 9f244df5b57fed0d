import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { gzipSync } from 'node:zlib';
import { callBatch } from './support.js';

/**
 * A deterministic corpus of bad OTLP requests, every one invalid by construction (not by asking the decoder):
 * each must be answered 4xx. Built from valid requests of real SDK spans with a seeded PRNG.
 */

export interface BadRequest {
  category: string;
  contentType: string;
  contentEncoding?: string;
  body: Uint8Array;
}

type Random = () => number;

const protobuf = 'application/x-protobuf';
const json = 'application/json';

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function validRequests(count: number): { proto: Uint8Array[]; json: Array<Record<string, unknown>> } {
  const batches = Array.from({ length: count }, (_, i) => callBatch(9_000 + i, 1 + (i % 4), { 'user.id': `user-${i}` }));
  return {
    proto: batches.map((batch) => ProtobufTraceSerializer.serializeRequest(batch.spans) as Uint8Array),
    json: batches.map((batch) => JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(batch.spans) as Uint8Array).toString()) as Record<string, unknown>),
  };
}

// ---- protobuf framing: the length-delimited fields the decoder reads, found by an independent walk ----

interface LenField {
  tagPos: number;
  lengthPos: number;
  length: number;
  /** Bytes from the payload start to the end of the enclosing message. */
  available: number;
}

type Walk = Record<number, string | null>;
/** Per message: field number → the message it holds (walked into) or null (a leaf); all LEN fields. */
const messages: Record<string, Walk> = {
  Request: { 1: 'ResourceSpans' },
  ResourceSpans: { 1: 'Resource', 2: 'ScopeSpans', 3: null },
  Resource: { 1: 'KeyValue' },
  ScopeSpans: { 1: 'Scope', 2: 'Span', 3: null },
  Scope: { 1: null, 2: null, 3: null },
  Span: { 1: null, 2: null, 3: null, 4: null, 5: null, 9: 'KeyValue', 11: null, 13: 'Link', 15: 'Status' },
  Link: { 1: null, 2: null, 3: null, 4: 'KeyValue' },
  Status: { 2: null },
  KeyValue: { 1: null, 2: 'AnyValue' },
  AnyValue: { 1: null, 5: 'List', 6: 'KvList', 7: null },
  List: { 1: 'AnyValue' },
  KvList: { 1: 'KeyValue' },
};

function varint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

function lenFields(bytes: Uint8Array, start: number, end: number, message: string, out: LenField[]): void {
  const walk = messages[message] as Walk;
  let pos = start;
  while (pos < end) {
    const tagPos = pos;
    const [tag, afterTag] = varint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    pos = afterTag;
    if (wireType === 0) pos = varint(bytes, pos)[1];
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else {
      const [length, payload] = varint(bytes, pos);
      if (field in walk && afterTag - tagPos === 1) {
        out.push({ tagPos, lengthPos: pos, length, available: end - payload });
        const child = walk[field];
        if (child !== null && child !== undefined) lenFields(bytes, payload, payload + length, child, out);
      }
      pos = payload + length;
    }
  }
}

/** A known length-delimited field sent with another wire type (one to three bits of its tag flipped). */
function wireTypeFlip(random: Random, body: Uint8Array): Uint8Array {
  const fields: LenField[] = [];
  lenFields(body, 0, body.length, 'Request', fields);
  const field = pick(random, fields);
  const mutated = body.slice();
  mutated[field.tagPos] = ((mutated[field.tagPos] as number) & ~7) | pick(random, [0, 1, 3, 4, 5, 6, 7]);
  return mutated;
}

/** One bit set in a length prefix, so the field overruns its enclosing message. */
function lengthOverrun(random: Random, body: Uint8Array): Uint8Array | null {
  const fields: LenField[] = [];
  lenFields(body, 0, body.length, 'Request', fields);
  const candidates = fields.flatMap((field) =>
    [0, 1, 2, 3, 4, 5, 6]
      .filter((bit) => ((body[field.lengthPos] as number) & (1 << bit)) === 0 && field.length + (1 << bit) > field.available)
      .map((bit) => ({ field, bit })),
  );
  if (candidates.length === 0) return null;
  const { field, bit } = pick(random, candidates);
  const mutated = body.slice();
  mutated[field.lengthPos] = (mutated[field.lengthPos] as number) | (1 << bit);
  return mutated;
}

// ---- JSON: values of the wrong type where the decoder reads them ----

type Json = Record<string, unknown>;
const firstSpan = (o: Json) => ((((o.resourceSpans as Json[])[0] as Json).scopeSpans as Json[])[0] as Json).spans as Json[];

/** A call span: the root span of these requests has no attributes. */
const callSpan = (o: Json, r: Random) => pick(r, firstSpan(o).filter((span) => Array.isArray(span.attributes) && span.attributes.length > 0));

const jsonMutations: Array<[string, (o: Json, random: Random) => void]> = [
  ['resourceSpans', (o, r) => (o.resourceSpans = pick(r, ['x', 5, true, {}]))],
  ['scopeSpans', (o, r) => (((o.resourceSpans as Json[])[0] as Json).scopeSpans = pick(r, ['x', 5, true, {}]))],
  ['spans', (o, r) => ((((o.resourceSpans as Json[])[0] as Json).scopeSpans as Json[])[0]!.spans = pick(r, ['x', 5, true, {}]))],
  ['name', (o, r) => (pick(r, firstSpan(o)).name = pick(r, [5, {}, [], true]))],
  ['kind', (o, r) => (pick(r, firstSpan(o)).kind = pick(r, ['SPAN_KIND_BOGUS', {}, 'x', 1.5, true]))],
  ['startTimeUnixNano', (o, r) => (pick(r, firstSpan(o))[pick(r, ['startTimeUnixNano', 'endTimeUnixNano'])] = pick(r, ['abc', {}, true, '1.5', '-5', -1, 1.5, '1e3', []]))],
  ['attributes', (o, r) => (pick(r, firstSpan(o)).attributes = pick(r, ['x', 5, {}, [1], [null], ['a']]))],
  ['attribute key', (o, r) => ((callSpan(o, r).attributes as Json[])[0]!.key = pick(r, [5, {}, true]))],
  [
    'attribute value',
    (o, r) =>
      ((callSpan(o, r).attributes as Json[])[0]!.value = pick(r, [
        { intValue: '1.5' }, { intValue: {} }, { intValue: true }, { boolValue: 'yes' }, { doubleValue: 'abc' }, { stringValue: 5 },
        { arrayValue: 'x' }, { arrayValue: { values: 'x' } }, { kvlistValue: { values: [1] } }, { bytesValue: '***' }, 'str', 5, [],
      ])),
  ],
  ['status', (o, r) => (pick(r, firstSpan(o)).status = pick(r, ['ok', 5, [], { code: 'BOGUS' }, { code: 1.5 }, { message: 5 }]))],
  ['resource', (o, r) => (((o.resourceSpans as Json[])[0] as Json).resource = pick(r, ['x', 5, [], { attributes: 'x' }, { attributes: [{ key: 5 }] }]))],
  ['scope', (o, r) => ((((o.resourceSpans as Json[])[0] as Json).scopeSpans as Json[])[0]!.scope = pick(r, ['x', 5, { name: 5 }, { version: {} }]))],
  ['links', (o, r) => (pick(r, firstSpan(o)).links = pick(r, ['x', [5], [{ traceId: 5 }]]))],
];

function hexId(random: Random, bytes: number): string {
  // Non-hex characters at a random place of an otherwise well-sized id.
  const chars = Array.from({ length: bytes * 2 }, () => '0123456789abcdef'[Math.floor(random() * 16)] as string);
  chars[Math.floor(random() * chars.length)] = pick(random, ['g', 'z', 'G', '-', ' ', 'x', '!', 'é']);
  return chars.join('');
}

// ---- nesting ----

function nestedJsonValue(depth: number): unknown {
  let value: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { arrayValue: { values: [value] } } : { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
}

function protoLen(field: number, payload: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = payload.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Uint8Array.of((field << 3) | 2), Uint8Array.from(length), payload]);
}

/** ExportTraceServiceRequest → ResourceSpans → Resource → KeyValue whose value nests `depth` array values. */
function nestedProtoValue(depth: number): Uint8Array {
  let value = protoLen(1, Buffer.from('leaf')); // AnyValue { string_value }
  for (let i = 0; i < depth; i++) value = protoLen(5, protoLen(1, value)); // AnyValue { array_value { values } }
  const keyValue = Buffer.concat([protoLen(1, Buffer.from('deep')), protoLen(2, value)]);
  return protoLen(1, protoLen(1, protoLen(1, keyValue)));
}

/** Unknown groups nested `depth` deep inside a span: valid framing a recursive skipper could overflow on. */
function nestedGroups(depth: number): Uint8Array {
  const start = 0x9b; // field 19, start group (two-byte tag: 0x9b 0x01)
  const end = 0x9c;
  const groups = Buffer.concat([Buffer.alloc(depth * 2).fill(Buffer.from([start, 0x01])), Buffer.alloc(depth * 2).fill(Buffer.from([end, 0x01]))]);
  return protoLen(1, protoLen(2, protoLen(2, groups)));
}

// ---- the corpus ----

export interface CorpusOptions {
  seed: number;
  bodyLimitBytes: number;
}

export function malformedCorpus(random: Random, options: CorpusOptions): BadRequest[] {
  const valid = validRequests(40);
  const corpus: BadRequest[] = [];
  const add = (category: string, contentType: string, body: Uint8Array | string, contentEncoding?: string) =>
    corpus.push({ category, contentType, body: typeof body === 'string' ? Buffer.from(body) : body, ...(contentEncoding === undefined ? {} : { contentEncoding }) });

  // Truncated protobuf: each request is one top-level field, so every strict prefix of it is incomplete.
  for (let i = 0; i < 250; i++) {
    const body = pick(random, valid.proto);
    const cut = body.subarray(0, 1 + Math.floor(random() * (body.length - 1)));
    if (i % 3 === 0) add('truncated protobuf (gzip)', protobuf, gzipSync(cut), 'gzip');
    else add('truncated protobuf', protobuf, cut);
  }
  for (let i = 0; i < 150; i++) add('bit-flipped tag: wrong wire type', protobuf, wireTypeFlip(random, pick(random, valid.proto)));
  for (let made = 0; made < 120; ) {
    const mutated = lengthOverrun(random, pick(random, valid.proto));
    if (mutated === null) continue;
    add('bit-flipped length prefix', protobuf, mutated);
    made++;
  }
  for (let i = 0; i < 200; i++) {
    const [name, mutate] = pick(random, jsonMutations);
    const request = structuredClone(pick(random, valid.json));
    mutate(request, random);
    add(`JSON wrong type: ${name}`, json, JSON.stringify(request));
  }
  for (let i = 0; i < 100; i++) {
    const request = structuredClone(pick(random, valid.json));
    const span = pick(random, firstSpan(request));
    const field = pick(random, ['traceId', 'spanId', 'parentSpanId'] as const);
    span[field] = hexId(random, field === 'traceId' ? 16 : 8);
    add('invalid hex id', json, JSON.stringify(request));
  }
  for (let i = 0; i < 40; i++) {
    // Over the body limit once decompressed or as sent: 413.
    const request = structuredClone(pick(random, valid.json));
    (callSpan(request, random).attributes as Json[]).push({ key: 'huge', value: { stringValue: 'x'.repeat(options.bodyLimitBytes + Math.floor(random() * 1024)) } });
    add('huge string', json, JSON.stringify(request), i % 2 === 0 ? 'gzip' : undefined);
    if (i % 2 === 0) corpus[corpus.length - 1]!.body = gzipSync(corpus[corpus.length - 1]!.body);
  }
  for (let i = 0; i < 20; i++) {
    // A string whose declared length is far beyond the request.
    const declared = 2 ** 28 + Math.floor(random() * 2 ** 20);
    const prefix = protoLen(1, protoLen(1, Buffer.alloc(0)));
    const lengthBytes: number[] = [];
    for (let n = declared; n > 0; n = Math.floor(n / 128)) lengthBytes.push((n % 128) | (n >= 128 ? 0x80 : 0));
    add('huge declared length', protobuf, Buffer.concat([prefix, Uint8Array.of(0x0a), Uint8Array.from(lengthBytes), Buffer.from('abc')]));
  }
  for (let i = 0; i < 25; i++) {
    const request = structuredClone(pick(random, valid.json));
    (callSpan(request, random).attributes as Json[]).push({ key: 'deep', value: nestedJsonValue(120 + Math.floor(random() * 500)) });
    add('deep nesting (JSON values)', json, JSON.stringify(request));
  }
  for (let i = 0; i < 5; i++) add('deep nesting (JSON arrays)', json, '['.repeat(50_000 + i * 10_000) + ']'.repeat(50_000 + i * 10_000));
  for (let i = 0; i < 20; i++) add('deep nesting (protobuf values)', protobuf, nestedProtoValue(120 + Math.floor(random() * 3_000)));
  for (let i = 0; i < 10; i++) add('deep nesting (protobuf groups)', protobuf, nestedGroups(20_000 + i * 20_000));
  for (let i = 0; i < 30; i++) {
    const size = options.bodyLimitBytes * (2 + Math.floor(random() * 10));
    const filler = i % 2 === 0 ? Buffer.alloc(size) : Buffer.alloc(size, JSON.stringify(pick(random, valid.json)));
    add('gzip bomb', i % 2 === 0 ? protobuf : json, gzipSync(filler, { level: 9 }), 'gzip');
  }
  for (let i = 0; i < 100; i++) {
    const inner = gzipSync(pick(random, valid.proto));
    const kind = i % 4;
    let body: Uint8Array;
    if (kind === 0) body = Uint8Array.from({ length: 10 + Math.floor(random() * 500) }, () => Math.floor(random() * 256));
    else if (kind === 1) body = inner.subarray(0, 10 + Math.floor(random() * (inner.length - 18)));
    else if (kind === 2) {
      body = inner.slice();
      const at = inner.length - 1 - Math.floor(random() * 8); // CRC32 or length in the trailer
      body[at] = (body[at] as number) ^ (1 + Math.floor(random() * 255));
    } else body = Buffer.concat([inner.subarray(0, 10), Uint8Array.from({ length: 64 }, () => Math.floor(random() * 256))]);
    add('bad gzip', protobuf, body, 'gzip');
  }

  // Hand-written cases.
  add('hand: empty JSON body', json, '');
  add('hand: JSON null', json, 'null');
  add('hand: JSON array', json, '[]');
  add('hand: JSON string', json, '"resourceSpans"');
  add('hand: unterminated JSON', json, '{"resourceSpans":[');
  add('hand: NaN', json, 'NaN');
  add('hand: byte order mark only', json, '\ufeff');
  add('hand: JSON trailing garbage', json, '{"resourceSpans":[]} x');
  add('hand: protobuf field number 0', protobuf, Uint8Array.of(0x02, 0x00));
  add('hand: protobuf varint of 11 bytes', protobuf, Uint8Array.of(0x08, ...Array(10).fill(0xff), 0x01));
  add('hand: protobuf end group without start', protobuf, Uint8Array.of(0x0c));
  add('hand: protobuf unterminated group', protobuf, Uint8Array.of(0x9b, 0x01, 0x08, 0x01));
  add('hand: text/plain', 'text/plain', 'hello');
  add('hand: no content type', '', '{}');
  add('hand: JSON in latin-1', 'application/json; charset=iso-8859-1', '{}');
  add('hand: brotli', json, '{}', 'br');
  add('hand: gzip of nothing', protobuf, Buffer.alloc(0), 'gzip');
  add('hand: end before start', json, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'x', startTimeUnixNano: '2', endTimeUnixNano: 'abc' }] }] }] }));
  add('hand: 64-bit overflow', json, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), startTimeUnixNano: '18446744073709551616' }] }] }] }));
  add('hand: __proto__ resource', json, '{"resourceSpans":[{"resource":{"attributes":[{"key":"__proto__","value":{"intValue":"x"}}]}}]}');
  return corpus;
}
