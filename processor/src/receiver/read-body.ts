import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidBodyError, PayloadTooLargeError } from './errors.js';
import type { ContentEncoding } from './media-type.js';

/**
 * Reads a request body of at most `limitBytes` after decompression (OTLP requires the limit to hold after
 * decompression). A body over the limit is never buffered: it is read and dropped up to twice the limit, so the
 * client reads its 413 instead of a reset connection (which exporters would retry), and cut off beyond that.
 * Gzip is inflated as it streams in and abandoned as soon as the output passes the limit, so a gzip bomb never
 * inflates in memory.
 */
export async function readBody(
  body: AsyncIterable<Uint8Array> | null,
  encoding: ContentEncoding,
  declaredLength: string | undefined,
  limitBytes: number,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limitBytes) {
    if (body !== null && Number(declaredLength) <= limitBytes * 2) await discard(body, limitBytes * 2).catch(() => undefined);
    throw new PayloadTooLargeError(limitBytes);
  }
  if (body === null) return Buffer.alloc(0);
  if (encoding === 'identity') {
    try {
      return await collect(body, limitBytes, true);
    } catch (error) {
      throw asBodyError(error);
    }
  }
  let inflated: Buffer = Buffer.alloc(0);
  try {
    await pipeline(limited(body, limitBytes), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      inflated = await collect(chunks, limitBytes);
    });
  } catch (error) {
    throw asBodyError(error);
  }
  return inflated;
}

/** `drainExcess`: past the limit, keep reading (and dropping) up to the limit again before refusing. */
async function collect(chunks: AsyncIterable<Uint8Array>, limitBytes: number, drainExcess = false): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    total += next.value.length;
    if (total > limitBytes) {
      parts.length = 0;
      if (drainExcess) await discard({ [Symbol.asyncIterator]: () => iterator }, limitBytes);
      await iterator.return?.();
      throw new PayloadTooLargeError(limitBytes);
    }
    parts.push(next.value);
  }
  return Buffer.concat(parts, total);
}

/** Reads and drops what is left of a stream, at most `maxBytes` of it. */
async function discard(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<void> {
  let total = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  for (let next = await iterator.next(); next.done !== true && total <= maxBytes; next = await iterator.next()) {
    total += next.value.length;
  }
}

/** The compressed stream is held to the same limit: no valid body inflates to less than its gzip form. */
async function* limited(chunks: AsyncIterable<Uint8Array>, limitBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limitBytes) throw new PayloadTooLargeError(limitBytes);
    yield chunk;
  }
}

function asBodyError(error: unknown): Error {
  if (error instanceof PayloadTooLargeError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new InvalidBodyError(`request body is not valid gzip: ${detail}`);
  }
  return new InvalidBodyError(`request body could not be read: ${detail}`);
}
