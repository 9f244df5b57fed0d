import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { dollarsToNanos, formatNanos } from '../ledger/money.js';
import { timestamp } from '../store/llm-call-appender.js';
import { ALERT_KINDS, alertKey, type Alert, type AlertKind } from './alert.js';
import { inTransaction } from '../store/transaction.js';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'none';

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  error: string | null;
}

/** The `alerts` table: the memory of which alerts fired (so none fires twice) and of their delivery. */
export class AlertStore {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<AlertStore> {
    return new AlertStore(await instance.connect());
  }

  /** The key of every alert ever raised. */
  async raisedKeys(): Promise<Set<string>> {
    const reader = await this.connection.runAndReadAll('SELECT kind, subject, epoch_ms(window_start) AS window_start, threshold FROM alerts');
    return new Set(
      reader.getRowObjectsJS().map((row) =>
        alertKey({ kind: row.kind as AlertKind, subject: String(row.subject), windowStart: new Date(Number(row.window_start)), threshold: Number(row.threshold) }),
      ),
    );
  }

  /** How many alerts of this kind and window were raised since `since`. */
  async countRaised(kind: AlertKind, windowStart: Date, since: Date): Promise<number> {
    const reader = await this.connection.runAndReadAll(
      'SELECT count(*) FROM alerts WHERE kind = $kind AND window_start = $window_start AND raised_at >= $since',
      { kind, window_start: timestamp(windowStart), since: timestamp(since) },
    );
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /**
   * Records the alerts whose key is not there yet, in one transaction; returns those it added. An amount past
   * what DECIMAL(18, 9) holds (a billion dollars) is stored NULL, its figure kept in the message: a failed cast
   * would lose every alert of the transaction, and their keys count as raised, so none would come again.
   */
  async insertNew(alerts: readonly Alert[], delivery: DeliveryState): Promise<Alert[]> {
    const added: Alert[] = [];
    await inTransaction(this.connection, async () => {
      for (const alert of alerts) if (await this.insert(alert, delivery)) added.push(alert);
    });
    return added;
  }

  private async insert(alert: Alert, delivery: DeliveryState): Promise<boolean> {
    const reader = await this.connection.runAndReadAll(
      `INSERT INTO alerts VALUES ($kind, $subject, $window_start, $window_end, $threshold, $observed,
         TRY_CAST($amount AS DECIMAL(18, 9)), TRY_CAST($reference AS DECIMAL(18, 9)), $message, CAST($details AS JSON), $raised_at,
         $delivery, 0, NULL, NULL)
       ON CONFLICT DO NOTHING RETURNING kind`,
      {
        kind: alert.kind,
        subject: alert.subject,
        window_start: timestamp(alert.windowStart),
        window_end: alert.windowEnd === null ? null : timestamp(alert.windowEnd),
        threshold: alert.threshold,
        observed: alert.observed,
        amount: alert.amountNanos === null ? null : formatNanos(alert.amountNanos),
        reference: alert.referenceNanos === null ? null : formatNanos(alert.referenceNanos),
        message: alert.message,
        details: JSON.stringify(alert.details),
        raised_at: timestamp(alert.raisedAt),
        delivery,
      },
    );
    return reader.currentRowCount > 0;
  }

  async recordDelivery(alert: Alert, result: DeliveryResult, at: Date): Promise<void> {
    await this.connection.run(
      `UPDATE alerts SET delivery = $delivery, delivery_attempts = delivery_attempts + $attempts,
         delivered_at = $delivered_at, delivery_error = $error
       WHERE kind = $kind AND subject = $subject AND window_start = $window_start AND threshold = $threshold`,
      {
        delivery: result.delivered ? 'delivered' : 'failed',
        attempts: result.attempts,
        delivered_at: result.delivered ? timestamp(at) : null,
        error: result.error,
        kind: alert.kind,
        subject: alert.subject,
        window_start: timestamp(alert.windowStart),
        threshold: alert.threshold,
      },
    );
  }

  /** Alerts stored but never sent (the processor stopped first), raised since `since`: sent again at start. */
  async pending(since: Date): Promise<Alert[]> {
    const reader = await this.connection.runAndReadAll(
      `SELECT kind, subject, epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end, threshold, observed,
         amount_usd::VARCHAR AS amount, reference_usd::VARCHAR AS reference, message, details::VARCHAR AS details,
         epoch_ms(raised_at) AS raised_at
       FROM alerts WHERE delivery = 'pending' AND raised_at >= $since ORDER BY raised_at`,
      { since: timestamp(since) },
    );
    return reader.getRowObjectsJS().flatMap((row) => {
      const kind = ALERT_KINDS.find((k) => k === row.kind);
      if (kind === undefined) return [];
      return [
        {
          kind,
          subject: String(row.subject),
          windowStart: new Date(Number(row.window_start)),
          windowEnd: row.window_end === null ? null : new Date(Number(row.window_end)),
          threshold: Number(row.threshold),
          observed: row.observed === null ? null : Number(row.observed),
          amountNanos: row.amount === null ? null : dollarsToNanos(String(row.amount)),
          referenceNanos: row.reference === null ? null : dollarsToNanos(String(row.reference)),
          message: String(row.message),
          details: row.details === null ? {} : (JSON.parse(String(row.details)) as Alert['details']),
          raisedAt: new Date(Number(row.raised_at)),
        },
      ];
    });
  }

  close(): void {
    this.connection.closeSync();
  }
}
