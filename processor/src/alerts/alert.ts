export const ALERT_KINDS = ['budget_threshold', 'spend_spike', 'unallocated_share', 'unpriced_model'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * One alert. (kind, subject, windowStart, threshold) identifies it: it fires once for that key, ever — the
 * `alerts` table's primary key makes that hold across restarts.
 */
export interface Alert {
  kind: AlertKind;
  /** The budget name, the team, `all` (unallocated share) or `provider/model`. */
  subject: string;
  /** The budget window, the spike's block, the UTC day; the epoch for an unpriced model (once ever). */
  windowStart: Date;
  windowEnd: Date | null;
  /** Share of the limit, spike factor, maximum unallocated share; 0 for an unpriced model. */
  threshold: number;
  /** Share of the limit used, last hour ÷ hourly average, unallocated share. */
  observed: number | null;
  /** Spent in the window, the last hour's spend, the day's unallocated cost. */
  amountNanos: bigint | null;
  /** What the amount was compared with: the limit, the trailing hourly average, the day's total. */
  referenceNanos: bigint | null;
  message: string;
  details: Record<string, string | number | boolean | null | string[] | Record<string, string>>;
  raisedAt: Date;
}

export function alertKey(alert: Pick<Alert, 'kind' | 'subject' | 'windowStart' | 'threshold'>): string {
  return `${alert.kind}|${alert.subject}|${alert.windowStart.toISOString()}|${alert.threshold}`;
}
