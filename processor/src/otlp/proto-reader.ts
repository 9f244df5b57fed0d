import { FieldError } from './errors.js';
import { cachedKey, cachedValue } from './string-cache.js';
import { WireType, type MessageSchema } from './schema.js';

/** protobuf's default recursion limit. */
const maxGroupDepth = 100;

const TWO_32 = 4_294_967_296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/**
 * A protobuf wire-format cursor over one request buffer. Callers pass the end offset of the message they are
 * inside, so a field that overruns its enclosing message is caught where it happens. Errors are FieldErrors
 * with an empty path: the message decoders add the field path as they unwind.
 */
export class ProtoReader {
  pos = 0;
  readonly buf: Buffer;
  readonly len: number;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = this.buf.length;
  }

  /** A varint's low 32 bits, unsigned. Tags, lengths, enums, uint32 and bool all fit. */
  uint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let byte = buf[pos++] ?? 256;
    let value = byte & 0x7f;
    if (byte < 0x80) return this.settle(pos, end, value);
    byte = buf[pos++] ?? 256;
    value |= (byte & 0x7f) << 7;
    if (byte < 0x80) return this.settle(pos, end, value);
    byte = buf[pos++] ?? 256;
    value |= (byte & 0x7f) << 14;
    if (byte < 0x80) return this.settle(pos, end, value);
    byte = buf[pos++] ?? 256;
    value |= (byte & 0x7f) << 21;
    if (byte < 0x80) return this.settle(pos, end, value);
    byte = buf[pos++] ?? 256;
    value = (value | ((byte & 0x0f) << 28)) >>> 0;
    // A negative int32 is sign-extended to ten bytes; the bits past 32 carry nothing.
    for (let i = 5; byte >= 0x80; i++) {
      if (i === 10 || pos >= end) throw this.varintError(pos, end);
      byte = buf[pos++] ?? 256;
    }
    return this.settle(pos, end, value);
  }

  /** An int64 varint: a number when it is a safe integer, else a bigint (two's complement for negatives). */
  int64(end: number): number | bigint {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let byte = 0;
    let i = 0;
    for (; i < 4; i++) {
      byte = buf[pos++] ?? 256;
      lo = (lo | ((byte & 0x7f) << (i * 7))) >>> 0;
      if (byte < 0x80) return this.settle(pos, end, lo);
    }
    byte = buf[pos++] ?? 256;
    lo = (lo | ((byte & 0x7f) << 28)) >>> 0;
    hi = (byte & 0x7f) >> 4;
    for (i = 0; byte >= 0x80; i++) {
      if (i === 5 || pos >= end) throw this.varintError(pos, end);
      byte = buf[pos++] ?? 256;
      hi = (hi | ((byte & 0x7f) << (i * 7 + 3))) >>> 0;
    }
    this.settle(pos, end, 0);
    if (hi < 0x200000) return hi * TWO_32 + lo;
    const value = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
  }

  /** fixed64 as an unsigned bigint (OTLP timestamps exceed 2^53). */
  fixed64(end: number): bigint {
    const pos = this.pos;
    if (pos + 8 > end) throw this.truncated(end);
    this.pos = pos + 8;
    return this.buf.readBigUInt64LE(pos);
  }

  fixed32(end: number): number {
    const pos = this.pos;
    if (pos + 4 > end) throw this.truncated(end);
    this.pos = pos + 4;
    return this.buf.readUInt32LE(pos);
  }

  double(end: number): number {
    const pos = this.pos;
    if (pos + 8 > end) throw this.truncated(end);
    this.pos = pos + 8;
    return this.buf.readDoubleLE(pos);
  }

  /** Reads a length prefix and returns where the length-delimited payload ends, leaving `pos` at its start. */
  delimited(end: number): number {
    const length = this.uint32(end);
    const payloadEnd = this.pos + length;
    if (payloadEnd > end) {
      throw new FieldError('', `length ${length} overruns the enclosing message by ${payloadEnd - end} bytes`);
    }
    return payloadEnd;
  }

  string(end: number): string {
    const payloadEnd = this.delimited(end);
    const start = this.pos;
    this.pos = payloadEnd;
    return cachedValue(this.buf, start, payloadEnd);
  }

  /** A string used as a property key (attribute keys). */
  key(end: number): string {
    const payloadEnd = this.delimited(end);
    const start = this.pos;
    this.pos = payloadEnd;
    return cachedKey(this.buf, start, payloadEnd);
  }

  /** Length-delimited bytes as lowercase hex; empty bytes give ''. */
  hex(end: number): string {
    const payloadEnd = this.delimited(end);
    const start = this.pos;
    this.pos = payloadEnd;
    return this.buf.toString('hex', start, payloadEnd);
  }

  /** Length-delimited bytes, copied so the result does not keep the request buffer alive. */
  bytes(end: number): Uint8Array {
    const payloadEnd = this.delimited(end);
    const copy = new Uint8Array(payloadEnd - this.pos);
    copy.set(this.buf.subarray(this.pos, payloadEnd));
    this.pos = payloadEnd;
    return copy;
  }

  /**
   * Skips a field the decoder does not read. A field the schema knows, sent with another wire type, is an
   * error (the request was encoded against a different schema); unknown fields are skipped per proto3.
   */
  skip(tag: number, end: number, schema: MessageSchema<string>): void {
    const wireType = tag & 7;
    if (tag >>> 3 === 0) throw new FieldError('', `invalid field number 0 at byte ${this.pos}`);
    if (wireType > WireType.I32) throw new FieldError('', `invalid wire type ${wireType} (field ${tag >>> 3}) at byte ${this.pos}`);
    const known = schema.byNumber.get(tag >>> 3);
    if (known !== undefined && known.wireType !== wireType) {
      throw new FieldError(
        known.name,
        `expected wire type ${known.wireType} (${wireTypeName(known.wireType)}), got ${wireType} (${wireTypeName(wireType)})`,
      );
    }
    this.skipWireType(tag, end);
  }

  private skipWireType(tag: number, end: number, depth = 0): void {
    switch (tag & 7) {
      case WireType.VARINT:
        this.int64(end);
        return;
      case WireType.I64:
        this.advance(8, end);
        return;
      case WireType.LEN:
        this.pos = this.delimited(end);
        return;
      case WireType.I32:
        this.advance(4, end);
        return;
      case WireType.START_GROUP: {
        // Groups are not proto3, but an unknown group is still well-formed protobuf: skip to its end tag.
        // Nesting is bounded like protobuf's own recursion limit, so a hostile body cannot exhaust the stack.
        if (depth >= maxGroupDepth) throw new FieldError('', `groups nested deeper than ${maxGroupDepth} (field ${tag >>> 3})`);
        const endTag = (tag & ~7) | WireType.END_GROUP;
        for (;;) {
          if (this.pos >= end) throw new FieldError('', `unterminated group (field ${tag >>> 3})`);
          const inner = this.uint32(end);
          if (inner === endTag) return;
          this.skipWireType(inner, end, depth + 1);
        }
      }
      default:
        throw new FieldError('', `invalid wire type ${tag & 7} (field ${tag >>> 3}) inside a group`);
    }
  }

  private advance(count: number, end: number): void {
    if (this.pos + count > end) throw this.truncated(end);
    this.pos += count;
  }

  private settle(pos: number, end: number, value: number): number {
    if (pos > end) throw this.truncated(end);
    this.pos = pos;
    return value;
  }

  private varintError(pos: number, end: number): FieldError {
    return pos >= end ? this.truncated(end) : new FieldError('', `varint longer than 10 bytes at byte ${this.pos}`);
  }

  private truncated(end: number): FieldError {
    return new FieldError(
      '',
      end === this.len
        ? `truncated: the request ends at byte ${end} inside a field`
        : `field runs past the end of its enclosing message (byte ${end})`,
    );
  }
}

function wireTypeName(wireType: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'start group', 'end group', 'fixed32'][wireType] ?? 'invalid';
}
