import {
  DOUBLE,
  INTEGER,
  LIST,
  TIMESTAMP,
  VARCHAR,
  listValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ParameterSqlType, ParameterValue, ParameterValues } from './parameters.js';
import type { ReportDefinition } from './report-definition.js';
import { readReportRows, type ReportResult } from './report-result.js';

export type RunReport = (report: ReportDefinition, values: ParameterValues) => Promise<ReportResult>;

const duckTypes: Record<ParameterSqlType, DuckDBType> = {
  TIMESTAMP,
  VARCHAR,
  'VARCHAR[]': LIST(VARCHAR),
  INTEGER,
  DOUBLE,
};

/**
 * Runs a report's SQL as a prepared statement with its named parameters bound (never spliced into the
 * text). Parameters not given are bound as NULL, so the query applies its documented default.
 */
export async function runReport(connection: DuckDBConnection, report: ReportDefinition, values: ParameterValues): Promise<ReportResult> {
  const statement = await connection.prepare(report.sql);
  const bound: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const parameter of report.parameters) {
    const value = values[parameter.name] ?? null;
    bound[parameter.name] = value === null ? null : toDuckValue(value);
    types[parameter.name] = duckTypes[parameter.sqlType];
  }
  statement.bind(bound, types);
  const { columns, rows } = readReportRows(await statement.runAndReadAll());
  return { report: report.name, parameters: echoParameters(report, values), columns, rows };
}

/** A runner on its own connection per report, so reports can run beside the service's writes. */
export function instanceReportRunner(instance: DuckDBInstance): RunReport {
  return async (report, values) => {
    const connection = await instance.connect();
    try {
      return await runReport(connection, report, values);
    } finally {
      connection.closeSync();
    }
  };
}

function toDuckValue(value: ParameterValue): DuckDBValue {
  if (value instanceof Date) return timestampValue(BigInt(value.getTime()) * 1000n);
  if (Array.isArray(value)) return listValue(value);
  return value;
}

function echoParameters(report: ReportDefinition, values: ParameterValues): ReportResult['parameters'] {
  return Object.fromEntries(
    report.parameters.map(({ name }) => {
      const value = values[name] ?? null;
      return [name, value instanceof Date ? value.toISOString() : value];
    }),
  );
}
