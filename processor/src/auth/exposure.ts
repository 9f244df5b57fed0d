import { isIP } from 'node:net';
import { UserError } from '../errors.js';
import type { AuthConfig } from './auth-config.js';

/** Start-up refused: the receivers would listen beyond loopback with some access left without tokens. */
export class UnsafeExposureError extends UserError {
  override name = 'UnsafeExposureError';
}

/** 127.0.0.0/8, ::1, their IPv4-mapped form, and `localhost`. */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Running without auth is allowed only on loopback: bound to any other interface, anyone who can reach the
 * port could bill calls to any team or read every team's spend. Both ingest and read need tokens there.
 */
export function assertSafeExposure(host: string, auth: AuthConfig): void {
  if (isLoopback(host)) return;
  const open = (['ingest', 'read'] as const).filter((access) => auth[access].length === 0);
  if (open.length === 0) return;
  throw new UnsafeExposureError(
    `refusing to start: receivers.host is "${host}", not loopback, and auth.${open.join(' and auth.')} ` +
      `${open.length === 1 ? 'has' : 'have'} no tokens, so anyone who can reach the port could ` +
      `${open.includes('ingest') ? 'write to the ledger' : 'read every team\'s spend'}. ` +
      'Add tokens (token_sha256, token_file or token_env) under auth.ingest and auth.read, or bind receivers.host to 127.0.0.1.',
  );
}
