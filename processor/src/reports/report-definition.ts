import { ReportDefinitionError } from './errors.js';
import { parameterDefinitions, type ParameterSqlType } from './parameters.js';

/**
 * A report is a plain SQL file in queries/ whose header says what it answers:
 *
 *   -- Report: Spend by team
 *   --
 *   -- What each team spent ... (any number of lines)
 *   --
 *   -- Parameters:
 *   --   $since  TIMESTAMP  inclusive start, UTC (default: 30 days before now)
 *
 * The first line marks the file as a report (queries/ also holds the schema and the roll-up).
 */
export interface ReportParameterDoc {
  name: string;
  sqlType: ParameterSqlType;
  description: string;
}

export interface ReportDefinition {
  /** The file name without `.sql`, e.g. `spend-by-team`. */
  name: string;
  title: string;
  description: string;
  parameters: readonly ReportParameterDoc[];
  sql: string;
}

export const reportMarker = '-- Report:';

export function isReportFile(text: string): boolean {
  return text.startsWith(reportMarker);
}

const parameterLine = /^--\s+\$([a-z_]+)\s+(\S+)\s+(.+)$/;

export function parseReportDefinition(file: string, text: string): ReportDefinition {
  const lines = text.split('\n');
  const header: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('--')) break;
    header.push(line);
  }
  const title = (header[0] ?? '').slice(reportMarker.length).trim();
  if (!isReportFile(text) || title === '') throw new ReportDefinitionError(file, `the first line must be "${reportMarker} <title>"`);

  const parametersAt = header.findIndex((line) => line.trim() === '-- Parameters:');
  const descriptionLines = header.slice(1, parametersAt === -1 ? undefined : parametersAt).map((line) => line.replace(/^-- ?/, ''));
  const description = descriptionLines.join('\n').trim();
  if (description === '') throw new ReportDefinitionError(file, 'the header must say what the report answers');

  const parameters: ReportParameterDoc[] = [];
  for (const line of parametersAt === -1 ? [] : header.slice(parametersAt + 1)) {
    const match = parameterLine.exec(line);
    if (!match) throw new ReportDefinitionError(file, `parameter line must read "--   $name  TYPE  description": ${line}`);
    const [, name, sqlType, doc] = match as unknown as [string, string, string, string];
    const known = parameterDefinitions.get(name);
    if (known === undefined) throw new ReportDefinitionError(file, `$${name} is not a known parameter (${[...parameterDefinitions.keys()].join(', ')})`);
    if (known.sqlType !== sqlType) throw new ReportDefinitionError(file, `$${name} is ${known.sqlType} in every report, not ${sqlType}`);
    parameters.push({ name, sqlType: known.sqlType, description: doc.trim() });
  }

  const documented = new Set(parameters.map((p) => p.name));
  const used = parametersUsed(lines.slice(header.length).join('\n'));
  const undocumented = [...used].filter((name) => !documented.has(name));
  const unused = [...documented].filter((name) => !used.has(name));
  if (undocumented.length > 0) throw new ReportDefinitionError(file, `uses undocumented parameters: ${undocumented.join(', ')}`);
  if (unused.length > 0) throw new ReportDefinitionError(file, `documents parameters it does not use: ${unused.join(', ')}`);

  return { name: file.replace(/\.sql$/, ''), title, description, parameters, sql: text };
}

/** `$name` placeholders in the SQL body, ignoring comments and string literals (JSON paths start with `$.`). */
function parametersUsed(body: string): Set<string> {
  const code = body.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, '');
  return new Set([...code.matchAll(/\$([a-z_][a-z0-9_]*)/g)].map((match) => match[1] as string));
}
