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

/**
 * Decoder and DuckDB messages may quote request content (JSON.parse shows a snippet, DuckDB the value it refused):
 * logs keep what precedes any quote.
 */
export function withoutQuotedText(message: string): string {
  const quote = message.search(/["']/);
  return (quote < 0 ? message : `${message.slice(0, quote)}…`).slice(0, 300);
}
