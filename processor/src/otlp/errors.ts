/**
 * A whole export request that cannot be decoded (OTLP: permanently invalid, HTTP 400 / gRPC INVALID_ARGUMENT).
 * The message names the offending field by its path, e.g.
 * `resourceSpans[0].scopeSpans[1].spans[3].traceId: expected hex characters`.
 */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

/**
 * Internal to the decoders: a problem found deep inside the request, whose path each enclosing level
 * prefixes while the error unwinds, so the hot path never builds path strings.
 */
export class FieldError extends Error {
  constructor(
    public path: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Re-throws `error` with `segment` (e.g. `spans[3]`, `traceId`) prepended to its field path. */
export function rethrowAt(error: unknown, segment: string): never {
  if (error instanceof FieldError) {
    error.path = joinPath(segment, error.path);
  }
  throw error;
}

export function joinPath(parent: string, child: string): string {
  if (child === '') return parent;
  if (parent === '') return child;
  return child.startsWith('[') ? parent + child : `${parent}.${child}`;
}

/** Converts whatever a decoder threw into the public error; anything unexpected becomes a decode error too. */
export function toDecodeError(error: unknown): OtlpDecodeError {
  if (error instanceof OtlpDecodeError) return error;
  if (error instanceof FieldError) {
    return new OtlpDecodeError(error.path === '' ? error.detail : `${error.path}: ${error.detail}`);
  }
  // A RangeError (call stack) or similar from hostile input must still be a 400, not a server fault.
  return new OtlpDecodeError(`request could not be decoded: ${error instanceof Error ? error.message : String(error)}`);
}
