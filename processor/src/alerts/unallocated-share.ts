import type { AlertsConfig } from '../config/schema.js';
import { dollarsToNanos, formatUsd } from '../ledger/money.js';
import type { Alert } from './alert.js';
import type { DaySpend } from './ledger-signals.js';

/** The UTC day's cost without a team above `max_share` of the day's cost, once the day reaches `min_usd`. */
export function unallocatedShareAlerts(day: DaySpend, config: AlertsConfig['unallocated'], now: Date): Alert[] {
  const minNanos = dollarsToNanos(String(config.min_usd)) ?? 0n;
  if (day.totalNanos === 0n || day.totalNanos < minNanos) return [];
  const sharePerMillion = (day.unallocatedNanos * 1_000_000n) / day.totalNanos;
  if (sharePerMillion <= BigInt(Math.round(config.max_share * 1_000_000))) return [];
  const share = Number(sharePerMillion) / 1_000_000;
  return [
    {
      kind: 'unallocated_share',
      subject: 'all',
      windowStart: day.dayStart,
      windowEnd: day.dayEnd,
      threshold: config.max_share,
      observed: share,
      amountNanos: day.unallocatedNanos,
      referenceNanos: day.totalNanos,
      message:
        `Unallocated spend is ${Math.round(share * 1000) / 10}% of today's (UTC) cost: $${formatUsd(day.unallocatedNanos)} ` +
        `of $${formatUsd(day.totalNanos)} has no team (limit ${Math.round(config.max_share * 1000) / 10}%); ` +
        'see the unallocated-sources report',
      details: { day: day.dayStart.toISOString().slice(0, 10) },
      raisedAt: now,
    },
  ];
}
