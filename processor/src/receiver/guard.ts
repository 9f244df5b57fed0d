import type { Access } from '../auth/principal.js';
import type { SpanPass } from '../pipeline/span-pass.js';

/**
 * What stands between a request and the sink, assembled from config by ops/operations.ts. Receivers without a
 * guard (unit tests) let every request in.
 */
export interface ReceiverGuard {
  /**
   * Checks the Authorization header for a route accepting `accepted`. Returns the token holder's name, or
   * undefined when that access is open (no tokens configured, loopback only); throws UnauthorizedError.
   */
  authenticate(authorization: string | undefined, accepted: readonly Access[], requestId: string): string | undefined;
  /** Throws a RetryableError (503 + Retry-After) while new data must be refused, e.g. over the memory limit. */
  admit(): void;
  /** Applied between decoding and the sink, in order. */
  readonly passes: readonly SpanPass[];
}

/** The access a non-OTLP path needs: none for probes, ingest or read for the budget status, read for the rest. */
export function routeAccess(path: string): readonly Access[] | null {
  if (path === '/healthz' || path === '/readyz') return null;
  // The instrumentation's budget gate asks with the service's own (ingest) token.
  if (path === '/v1/budgets/status') return ['ingest', 'read'];
  return ['read'];
}
