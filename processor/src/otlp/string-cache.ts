/**
 * Decodes short UTF-8 strings through small direct-mapped caches keyed by their bytes.
 *
 * Attribute keys and most attribute values (provider, model, team, operation) repeat in every span. Profiling
 * the decoder showed most of its time in Buffer#toString for these short strings and in adding properties with
 * freshly created key strings (V8 must look each one up in its string table). Returning the same string object
 * for the same bytes removes both costs; a miss costs one hash and one decode.
 */
const MAX_BYTES = 48;

class StringCache {
  private readonly bytes: Uint8Array;
  private readonly lengths: Int32Array;
  private readonly strings: string[];

  constructor(
    private readonly slots: number,
    private readonly canonicalize: (value: string) => string,
  ) {
    this.bytes = new Uint8Array(slots * MAX_BYTES);
    this.lengths = new Int32Array(slots).fill(-1);
    this.strings = new Array<string>(slots).fill('');
  }

  get(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length > MAX_BYTES) return buf.toString('utf8', start, end);
    // The length and eight sampled bytes (first two, quarter, middle, last four): the byte comparison below
    // decides, so the hash only spreads the slots. FNV over every byte made decoding ~10% slower. Ids that count
    // up differ in their last bytes; attribute keys in their length or ends.
    let hash = Math.imul(length, 0x9e3779b1);
    if (length >= 4) {
      hash = Math.imul(hash ^ (buf[start]! | (buf[start + 1]! << 8) | (buf[start + (length >> 2)]! << 16) | (buf[start + (length >> 1)]! << 24)), 0x01000193);
      hash = Math.imul(hash ^ (buf[end - 1]! | (buf[end - 2]! << 8) | (buf[end - 3]! << 16) | (buf[end - 4]! << 24)), 0x01000193);
    } else {
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    }
    const slot = (hash ^ (hash >>> 16)) & (this.slots - 1);
    const base = slot * MAX_BYTES;
    if (this.lengths[slot] === length) {
      let i = 0;
      while (i < length && this.bytes[base + i] === buf[start + i]) i++;
      if (i === length) return this.strings[slot]!;
    }
    const decoded = this.canonicalize(buf.toString('utf8', start, end));
    this.bytes.set(buf.subarray(start, end), base);
    this.lengths[slot] = length;
    this.strings[slot] = decoded;
    return decoded;
  }
}

/** The engine's canonical copy of a string (property keys are canonicalised), so later property stores skip the lookup. */
function internalized(value: string): string {
  for (const key in { [value]: 0 }) return key;
  return value;
}

const keys = new StringCache(2048, internalized);
/** Values are not canonicalised: unique ones (response ids) would only fill the engine's string table. */
const values = new StringCache(4096, (value) => value);

export function cachedKey(buf: Buffer, start: number, end: number): string {
  return keys.get(buf, start, end);
}

export function cachedValue(buf: Buffer, start: number, end: number): string {
  return values.get(buf, start, end);
}
