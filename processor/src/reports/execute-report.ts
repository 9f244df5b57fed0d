import type { ReportCatalog } from './catalog.js';
import { ReportParameterError } from './errors.js';
import { parseParameters, type ParameterValues, type RawParameters } from './parameters.js';
import type { ReportDefinition } from './report-definition.js';
import type { ReportResult } from './report-result.js';
import type { RunReport } from './runner.js';

export interface ReportDeps {
  catalog: ReportCatalog;
  run: RunReport;
  /** The clock relative times (`--since 7d`) count back from. */
  now?: () => Date;
}

/** Looks the report up and validates raw parameters against it; throws naming every problem. */
export function prepareReport(
  catalog: ReportCatalog,
  name: string,
  raw: RawParameters,
  now: Date,
): { report: ReportDefinition; values: ParameterValues } {
  const report = catalog.get(name);
  const { values, problems } = parseParameters(
    report.parameters.map((p) => p.name),
    raw,
    now,
  );
  if (problems.length > 0) throw new ReportParameterError(name, problems);
  return { report, values };
}

/** Validates and runs a report: the one path the CLI and the HTTP API share. */
export async function executeReport(deps: ReportDeps, name: string, raw: RawParameters): Promise<ReportResult> {
  const { report, values } = prepareReport(deps.catalog, name, raw, deps.now?.() ?? new Date());
  return deps.run(report, values);
}
