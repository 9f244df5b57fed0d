import { timingSafeEqual } from 'node:crypto';
import { sha256, type TokenEntry } from './load-tokens.js';
import type { Access, Principal } from './principal.js';

/** Why a request was not let in; never the token itself. */
export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'forbidden';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

const bearer = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens. The presented token is hashed and its
 * digest compared with every configured digest in constant time (crypto.timingSafeEqual on equal-length
 * SHA-256 digests, no early exit), so neither a token's bytes nor which entry matched leaks through timing.
 */
export class TokenVerifier {
  constructor(private readonly entries: readonly TokenEntry[]) {}

  /** True when no token of this access is configured: that access is open (allowed on loopback only). */
  isOpen(access: Access): boolean {
    return !this.entries.some((entry) => entry.principal.access === access);
  }

  verify(header: string | undefined, accepted: readonly Access[]): AuthResult {
    if (header === undefined || header.trim() === '') return { ok: false, failure: 'missing' };
    const match = bearer.exec(header);
    if (match === null) return { ok: false, failure: 'malformed' };
    const digest = sha256(match[1] as string);
    let found: Principal | null = null;
    let wrongAccess = false;
    for (const entry of this.entries) {
      if (!timingSafeEqual(digest, entry.digest)) continue;
      // The same token may be configured for both kinds of access: an accepted one wins.
      if (accepted.includes(entry.principal.access)) found ??= entry.principal;
      else wrongAccess = true;
    }
    if (found !== null) return { ok: true, principal: found };
    return { ok: false, failure: wrongAccess ? 'forbidden' : 'unknown' };
  }
}
