import { formatNanos } from '../ledger/money.js';
import { alertKey, type Alert } from './alert.js';

export type WebhookFormat = 'json' | 'slack';

/** The generic JSON alert: every field of the stored row, money as exact decimal text. */
export interface AlertPayload {
  source: 'genai-chargeback';
  id: string;
  kind: Alert['kind'];
  subject: string;
  message: string;
  window_start: string;
  window_end: string | null;
  threshold: number;
  observed: number | null;
  amount_usd: string | null;
  reference_usd: string | null;
  details: Alert['details'];
  raised_at: string;
}

export function alertPayload(alert: Alert): AlertPayload {
  return {
    source: 'genai-chargeback',
    id: alertKey(alert),
    kind: alert.kind,
    subject: alert.subject,
    message: alert.message,
    window_start: alert.windowStart.toISOString(),
    window_end: alert.windowEnd?.toISOString() ?? null,
    threshold: alert.threshold,
    observed: alert.observed,
    amount_usd: alert.amountNanos === null ? null : formatNanos(alert.amountNanos),
    reference_usd: alert.referenceNanos === null ? null : formatNanos(alert.referenceNanos),
    details: alert.details,
    raised_at: alert.raisedAt.toISOString(),
  };
}

/** Request body for a webhook: the generic object, or Slack's `{ "text": … }`. */
export function webhookBody(alert: Alert, format: WebhookFormat): string {
  if (format === 'json') return JSON.stringify(alertPayload(alert));
  return JSON.stringify({ text: `:rotating_light: *genai-chargeback* ${slackEscape(alert.message)}` });
}

/**
 * Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as an entity; names in a message come from
 * telemetry, so they are escaped as Slack's formatting rules ask.
 */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
