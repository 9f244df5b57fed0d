import type { AlertsConfig } from '../config/schema.js';
import { dollarsToNanos, formatUsd } from '../ledger/money.js';
import type { Alert } from './alert.js';
import { trailingHours, type TeamSpend } from './ledger-signals.js';

/**
 * A team whose last hour cost more than `factor` × its trailing 7-day hourly average (and at least `min_usd`,
 * so a team going from $0.001 to $0.01 an hour stays quiet). A team with no history averages 0, so its first
 * hour of real spend counts as a spike. One alert per team per `repeat_after` block.
 */
export function spikeAlerts(teams: readonly TeamSpend[], config: AlertsConfig['spike'], now: Date): Alert[] {
  const minNanos = dollarsToNanos(String(config.min_usd)) ?? 0n;
  const factorMillis = BigInt(Math.round(config.factor * 1000));
  const blockStart = new Date(Math.floor(now.getTime() / config.repeat_after) * config.repeat_after);
  return teams
    .filter(({ lastHourNanos, trailingNanos }) => {
      if (lastHourNanos < minNanos || lastHourNanos === 0n) return false;
      // last hour > factor × trailing / 168, in integers.
      return lastHourNanos * BigInt(trailingHours) * 1000n > factorMillis * trailingNanos;
    })
    .map(({ team, lastHourNanos, trailingNanos }) => {
      const averageNanos = trailingNanos / BigInt(trailingHours);
      const ratio = averageNanos === 0n ? null : Number((lastHourNanos * 100n) / averageNanos) / 100;
      return {
        kind: 'spend_spike' as const,
        subject: team,
        windowStart: blockStart,
        windowEnd: new Date(blockStart.getTime() + config.repeat_after),
        threshold: config.factor,
        observed: ratio,
        amountNanos: lastHourNanos,
        referenceNanos: averageNanos,
        message:
          `Spend spike for team ${team}: $${formatUsd(lastHourNanos)} in the last hour, ` +
          (ratio === null ? 'with no spend in the 7 days before' : `${ratio}× its 7-day hourly average of $${formatUsd(averageNanos, 4)}`),
        details: { team, factor: config.factor, trailing_7d_usd: formatUsd(trailingNanos, 9) },
        raisedAt: now,
      };
    });
}
