import { UnauthorizedError } from '../receiver/errors.js';
import type { ReceiverGuard } from '../receiver/guard.js';
import type { Access } from './principal.js';
import type { AuthFailure, TokenVerifier } from './token-verifier.js';

const messages: Record<AuthFailure, (accepted: readonly Access[]) => string> = {
  missing: () => 'missing bearer token: send "Authorization: Bearer <token>"',
  malformed: () => 'the Authorization header is not of the form "Bearer <token>"',
  unknown: () => 'unknown bearer token',
  forbidden: (accepted) => `this token does not grant ${accepted.join(' or ')} access`,
};

/** The receivers' authentication step: a verdict per request, and counts of refusals by reason for /metrics. */
export class AccessControl {
  readonly failures: Record<AuthFailure, number> = { missing: 0, malformed: 0, unknown: 0, forbidden: 0 };

  constructor(private readonly verifier: TokenVerifier) {}

  authenticate: ReceiverGuard['authenticate'] = (authorization, accepted) => {
    // An access without tokens is open (assertSafeExposure allows that on loopback only).
    if (accepted.some((access) => this.verifier.isOpen(access))) return undefined;
    const result = this.verifier.verify(authorization, accepted);
    if (result.ok) return result.principal.name;
    this.failures[result.failure]++;
    throw new UnauthorizedError(messages[result.failure](accepted), result.failure === 'forbidden');
  };
}
