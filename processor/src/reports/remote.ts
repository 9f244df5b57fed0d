import { z } from 'zod';
import { UserError } from '../errors.js';
import { LedgerUnavailableError, ReportParameterError } from './errors.js';
import type { RawParameters } from './parameters.js';
import type { ReportCell, ReportResult } from './report-result.js';

/**
 * Runs a report through a running service's HTTP API (`GET /v1/reports/:name`), for when `serve` holds
 * the DuckDB file. The answer is the same ReportResult a local run gives, so every format works alike.
 */
export async function fetchReport(baseUrl: string, name: string, raw: RawParameters): Promise<ReportResult> {
  const url = new URL(`v1/reports/${encodeURIComponent(name)}`, withSlash(baseUrl));
  for (const [key, value] of Object.entries(raw)) {
    for (const item of value === undefined ? [] : typeof value === 'string' ? [value] : value) url.searchParams.append(key, item);
  }
  url.searchParams.set('format', 'json');
  const response = await request(url);
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw errorFrom(name, url, response.status, body);
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) throw new LedgerUnavailableError(`${url.origin}: not a genai-chargeback report answer (${envelope.error.issues[0]?.message})`);
  const { report, parameters, columns, rows } = envelope.data;
  return { report, parameters, columns, rows: rows.map((row) => columns.map((column) => row[column.name] ?? null)) };
}

async function request(url: URL): Promise<Response> {
  try {
    return await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new LedgerUnavailableError(`cannot reach the service at ${url.origin} (${cause}); is serve running there? (--url)`);
  }
}

function errorFrom(name: string, url: URL, status: number, body: unknown): Error {
  const parsed = errorSchema.safeParse(body);
  if (parsed.success && status === 400) return new ReportParameterError(name, parsed.data.error.problems ?? [parsed.data.error.message]);
  if (parsed.success && status < 500) return new UserError(parsed.data.error.message);
  return new Error(`${url.origin} answered ${status}${parsed.success ? `: ${parsed.data.error.message}` : ''}`);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

const cellSchema: z.ZodType<ReportCell> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(cellSchema)]));

const envelopeSchema = z.object({
  report: z.string(),
  parameters: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.number(), z.null()])),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), cellSchema)),
});

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), problems: z.array(z.string()).optional() }),
});
