/**
 * DuckDB raised it over a value of the statement's own data (a cast that overflows, malformed input to a reader,
 * a CHECK or NOT NULL constraint): the same statement fails the same way on every retry. Other failures (I/O,
 * memory, a table in use) may pass. DuckDB's client reports the class only as the message's prefix.
 */
export function isDataError(error: unknown): boolean {
  return error instanceof Error && /^(Conversion|Invalid Input|Out of Range|Constraint) Error: /.test(error.message);
}
