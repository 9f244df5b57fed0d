import { UserError } from '../errors.js';

export class UsageError extends UserError {
  override name = 'UsageError';
}

export function reportCliError(error: unknown): void {
  if (error instanceof UserError) {
    process.stderr.write(`genai-chargeback: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`genai-chargeback: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
