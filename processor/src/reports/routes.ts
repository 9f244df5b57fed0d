import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { UnknownReportError, ReportParameterError } from './errors.js';
import { executeReport, type ReportDeps } from './execute-report.js';
import { formatReport, reportFormats, type ReportFormat } from './format.js';
import type { ReportDefinition } from './report-definition.js';

export interface ReportRoutesDeps extends ReportDeps {
  logger?: Pick<Logger, 'error'>;
}

/** One entry of `GET /v1/reports`. */
export interface ReportSummary {
  name: string;
  title: string;
  description: string;
  parameters: { name: string; type: string; description: string }[];
}

export function describeReport(report: ReportDefinition): ReportSummary {
  return {
    name: report.name,
    title: report.title,
    description: report.description,
    parameters: report.parameters.map((p) => ({ name: p.name, type: p.sqlType, description: p.description })),
  };
}

const contentTypes: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  table: 'text/plain; charset=utf-8',
};

/**
 * `GET /` lists the reports; `GET /:name?since=…&team=a&team=b&format=json|csv|table` runs one. Only the
 * catalogued reports run here: no SQL travels over HTTP. The format comes from `format`, else from an
 * `Accept: text/csv` header, else JSON. The lead mounts this at /v1/reports.
 */
export function createReportRoutes(deps: ReportRoutesDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => c.json({ reports: deps.catalog.list().map(describeReport) }));

  app.get('/:name', async (c) => {
    const { format: formatValues, ...raw } = c.req.queries();
    const format = chooseFormat(formatValues, c.req.header('accept'));
    if (format === undefined) {
      return problem(c, 400, 'invalid_parameters', `format: expected ${reportFormats.join(', ')}`, [
        `format: expected ${reportFormats.join(', ')}`,
      ]);
    }
    const name = c.req.param('name');
    try {
      const result = await executeReport(deps, name, raw);
      const headers: Record<string, string> = { 'content-type': contentTypes[format] };
      if (format === 'csv') headers['content-disposition'] = `attachment; filename="${name}.csv"`;
      return c.body(formatReport(result, format), 200, headers);
    } catch (error) {
      if (error instanceof UnknownReportError) return problem(c, 404, 'unknown_report', error.message);
      if (error instanceof ReportParameterError) return problem(c, 400, 'invalid_parameters', error.message, [...error.problems]);
      deps.logger?.error({ err: error, report: name }, 'report failed');
      return problem(c, 500, 'report_failed', `report ${name} failed; the service log has the cause`);
    }
  });

  return app;
}

function chooseFormat(values: string[] | undefined, accept: string | undefined): ReportFormat | undefined {
  const requested = values?.at(-1);
  if (requested !== undefined) return (reportFormats as readonly string[]).includes(requested) ? (requested as ReportFormat) : undefined;
  return accept?.includes('text/csv') ? 'csv' : 'json';
}

function problem(c: Context, status: 400 | 404 | 500, code: string, message: string, problems?: string[]) {
  return c.json({ error: { code, message, ...(problems === undefined ? {} : { problems }) } }, status);
}
