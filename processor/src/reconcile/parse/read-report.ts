import { readFile } from 'node:fs/promises';
import { ReportFormatError } from '../errors.js';
import type { CostRecord, ReconcileProvider, ReportPart, UsageRecord } from '../records.js';
import {
  anthropicCostExpected,
  anthropicCostPage,
  anthropicCostRecords,
  anthropicUsageExpected,
  anthropicUsagePage,
  anthropicUsageRecords,
} from './anthropic.js';
import { parseJsonPages } from './json-source.js';
import { openAiCostCsvRecords } from './openai-cost-csv.js';
import { openAiCostExpected, openAiCostPage, openAiCostRecords, openAiUsageExpected, openAiUsagePage, openAiUsageRecords } from './openai.js';

/** Parse a usage report already in memory (a file's text or an API response body). */
export function parseUsageReport(provider: ReconcileProvider, text: string, source: string): ReportPart<UsageRecord> {
  if (provider === 'openai') return openAiUsageRecords(parseJsonPages(text, source, openAiUsagePage, openAiUsageExpected));
  return anthropicUsageRecords(parseJsonPages(text, source, anthropicUsagePage, anthropicUsageExpected));
}

/** Parse a cost report: API JSON for both providers, or OpenAI's dashboard Cost CSV export. */
export function parseCostReport(provider: ReconcileProvider, text: string, source: string): ReportPart<CostRecord> {
  const isJson = /^\s*[[{]/.test(text);
  if (provider === 'openai') {
    return isJson ? openAiCostRecords(parseJsonPages(text, source, openAiCostPage, openAiCostExpected)) : openAiCostCsvRecords(text, source);
  }
  return anthropicCostRecords(parseJsonPages(text, source, anthropicCostPage, anthropicCostExpected));
}

export async function readUsageFile(provider: ReconcileProvider, path: string): Promise<ReportPart<UsageRecord>> {
  return parseUsageReport(provider, await readText(path), path);
}

export async function readCostFile(provider: ReconcileProvider, path: string): Promise<ReportPart<CostRecord>> {
  return parseCostReport(provider, await readText(path), path);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReportFormatError(path, null, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(error)})`);
  }
}
