import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidBodyError, PayloadTooLargeError } from './errors.js';
import type { ContentEncoding } from './media-type.js';

/**
 * Reads a request body of at most `limitBytes` after decompression (OTLP requires the limit to hold after
 * decompression). A declared Content-Length over the limit is refused before reading; gzip is inflated as it
 * streams in and abandoned as soon as the output passes the limit, so a gzip bomb never inflates in memory.
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  encoding: ContentEncoding,
  declaredLength: string | undefined,
  limitBytes: number,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limitBytes) throw new PayloadTooLargeError(limitBytes);
  if (body === null) return Buffer.alloc(0);
  if (encoding === 'identity') {
    try {
      return await collect(body, limitBytes);
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

async function collect(chunks: AsyncIterable<Uint8Array>, limitBytes: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limitBytes) throw new PayloadTooLargeError(limitBytes);
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
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
