/**
 * The host of the outgoing HTTP request whose headers are about to be injected. Propagators are not told where a
 * request goes, so the HTTP instrumentations' hooks announce it; they run synchronously right before they call
 * `propagation.inject`, and the baggage propagator takes it there. Unknown destination = not allowed.
 */
let pending: string | undefined;

export function announceDestination(host: string): void {
  pending = host;
}

export function takeDestination(): string | undefined {
  const host = pending;
  pending = undefined;
  return host;
}
