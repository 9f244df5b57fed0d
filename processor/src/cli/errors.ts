/** Errors a user can fix (bad flag, bad file): printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function reportCliError(error: unknown): void {
  if (error instanceof UsageError) {
    process.stderr.write(`genai-chargeback: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`genai-chargeback: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
