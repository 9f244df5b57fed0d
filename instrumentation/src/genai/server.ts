import type { ServerAddress } from './model-call.js';

const cache = new Map<string, ServerAddress | undefined>();

/** `server.address` / `server.port` of an SDK client's base URL (cached: a process has few base URLs). */
export function serverOf(baseURL: unknown): ServerAddress | undefined {
  if (typeof baseURL !== 'string') return undefined;
  if (cache.has(baseURL)) return cache.get(baseURL);
  let server: ServerAddress | undefined;
  try {
    const url = new URL(baseURL);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    server = { address: url.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    server = undefined;
  }
  if (cache.size >= 64) cache.clear();
  cache.set(baseURL, server);
  return server;
}
