/**
 * A growable protobuf wire-format writer. Nested messages are written in place: `begin()` reserves one byte for
 * the length, `end()` writes the real length and shifts the payload when the length needs more bytes.
 */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** The encoded bytes (a copy sized to fit, so the working buffer can be dropped). */
  finish(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  tag(tag: number): this {
    return this.varint32(tag);
  }

  varint32(value: number): this {
    this.reserve(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** int64 varint from a number or bigint (negative values in ten-byte two's complement). */
  int64(value: number | bigint): this {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) return this.varint32(value);
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  fixed64(value: bigint): this {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.pos);
    this.pos += 8;
    return this;
  }

  fixed32(value: number): this {
    this.reserve(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  double(value: number): this {
    this.reserve(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    const length = Buffer.byteLength(value);
    this.varint32(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
    return this;
  }

  bytes(value: Uint8Array): this {
    this.varint32(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Writes hex as bytes; callers pass validated, even-length hex. */
  hex(value: string): this {
    const length = value.length >>> 1;
    this.varint32(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, length, 'hex');
    return this;
  }

  /** Starts a length-delimited nested message; returns the token to pass to `end`. */
  begin(): number {
    this.reserve(1);
    return this.pos++;
  }

  end(start: number): this {
    const length = this.pos - start - 1;
    let size = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) size++;
    if (size > 1) {
      this.reserve(size - 1);
      this.buf.copyWithin(start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    let v = length;
    let at = start;
    while (v >= 0x80) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
    return this;
  }

  private reserve(count: number): void {
    if (this.pos + count <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + count));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
