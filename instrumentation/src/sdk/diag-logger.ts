import { diag, DiagConsoleLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

/** Diagnostics to the console at `OTEL_LOG_LEVEL`, as the OpenTelemetry SDKs do; none when it is unset. */
export function useDiagLoggerFromEnv(): void {
  const logLevel = process.env['OTEL_LOG_LEVEL'];
  if (logLevel !== undefined && logLevel.trim() !== '') {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  }
}
