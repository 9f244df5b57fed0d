import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout stays free for command output). Secrets and end-user ids never
 * belong in a log line; the redact list is a net under that rule, not a licence to log them.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'genai-chargeback' },
      redact: { paths: ['authorization', '*.authorization', 'headers.authorization', '*.token', '*["user.id"]', '*.user_id'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}
