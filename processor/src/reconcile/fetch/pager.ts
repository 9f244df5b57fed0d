import { z } from 'zod';
import { ProviderApiError } from '../errors.js';

/**
 * Cursor pagination shared by both admin APIs: request, then follow `next_page` while `has_more` (OpenAI's own
 * notebook stops when `next_page` is empty; Anthropic sets it to null with `has_more: false`). Retries 429 and 5xx
 * with the server's Retry-After, as both providers ask of integrations.
 */
export interface PagerOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  maxPages?: number;
  retries?: number;
  timeoutMs?: number;
}

const cursor = z.object({ has_more: z.boolean().optional(), next_page: z.string().nullish() });

export async function fetchAllPages(
  urlFor: (page: string | null) => URL,
  headers: Record<string, string>,
  options: PagerOptions = {},
): Promise<{ url: string; body: string }[]> {
  const maxPages = options.maxPages ?? 1000;
  const pages: { url: string; body: string }[] = [];
  const seen = new Set<string>();
  let page: string | null = null;
  for (;;) {
    const url = urlFor(page);
    const body = await getWithRetry(url, headers, options);
    pages.push({ url: url.toString(), body });
    const next = readCursor(url, body);
    if (next === null) return pages;
    if (seen.has(next)) throw new ProviderApiError(url.toString(), null, `the API returned the cursor "${next}" twice; stopping instead of looping`);
    if (pages.length >= maxPages) throw new ProviderApiError(url.toString(), null, `more than ${maxPages} pages; narrow the period`);
    seen.add(next);
    page = next;
  }
}

function readCursor(url: URL, body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ProviderApiError(url.toString(), 200, `the response is not JSON: ${body.slice(0, 200)}`);
  }
  const result = cursor.safeParse(parsed);
  if (!result.success) throw new ProviderApiError(url.toString(), 200, 'the response has no valid has_more/next_page');
  const { has_more: hasMore, next_page: nextPage } = result.data;
  return hasMore !== false && nextPage ? nextPage : null;
}

async function getWithRetry(url: URL, headers: Record<string, string>, options: PagerOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await doFetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    } catch (error) {
      if (attempt < retries) {
        await sleep(backoffMs(attempt, null));
        continue;
      }
      throw new ProviderApiError(url.toString(), null, `request failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = await response.text();
    if (response.ok) return body;
    if ((response.status === 429 || response.status >= 500) && attempt < retries) {
      await sleep(backoffMs(attempt, response.headers.get('retry-after')));
      continue;
    }
    const hint =
      response.status === 401 || response.status === 403
        ? ' — check the admin key: OpenAI needs an Admin key (or one with api.usage.read), Anthropic an sk-ant-admin key'
        : '';
    throw new ProviderApiError(url.toString(), response.status, `HTTP ${response.status}: ${body.slice(0, 300)}${hint}`);
  }
}

function backoffMs(attempt: number, retryAfter: string | null): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 60) * 1000;
  return Math.min(1000 * 2 ** attempt, 30_000);
}
