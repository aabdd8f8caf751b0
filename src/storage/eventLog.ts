// The events table: one row per recipient outcome, PartitionKey = the UTC hour (yyyyMMddHH), so that
// operators list what happened in an hour without scanning every message's partition.
import { TableClient, TransactionAction } from '@azure/data-tables';
import { hourKey, timeKey } from '../core/ids';
import type { DeliveryRow } from './deliveryStore';

export class EventLog {
  constructor(private readonly table: TableClient) {}

  /** Records the rows' current state at `at`. Rewriting the same event is harmless (upsert). */
  async record(rows: readonly DeliveryRow[], at: Date): Promise<void> {
    if (rows.length === 0) return;
    const actions: TransactionAction[] = rows.map((row) => ['upsert', toEvent(row, at), 'Replace']);
    if (actions.length === 1) {
      await this.table.upsertEntity(toEvent(rows[0], at), 'Replace');
    } else {
      await this.table.submitTransaction(actions);
    }
  }

  /** Removes the events of an accept that was rolled back. */
  async remove(rows: readonly DeliveryRow[], at: Date): Promise<void> {
    const actions: TransactionAction[] = rows.map((row) => ['delete', { partitionKey: hourKey(at), rowKey: eventKey(row, at) }]);
    if (actions.length > 0) await this.table.submitTransaction(actions);
  }
}

export function eventKey(row: DeliveryRow, at: Date): string {
  return `${timeKey(at)}_${row.messageId}_${row.recipientKey}_${row.status}`;
}

function toEvent(row: DeliveryRow, at: Date): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const event: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
    partitionKey: hourKey(at),
    rowKey: eventKey(row, at),
    messageId: row.messageId,
    recipient: row.recipientKey,
    status: row.status,
    attempts: row.attempts,
    from: row.from,
    subject: row.subject,
    at,
  };
  if (row.smtpCode !== undefined) event.smtpCode = row.smtpCode;
  if (row.enhancedCode !== undefined) event.enhancedCode = row.enhancedCode;
  if (row.response !== undefined) event.response = row.response;
  if (row.nextAttemptAt !== undefined) event.nextAttemptAt = row.nextAttemptAt;
  for (const [name, value] of Object.entries(row.tags)) event[`tag_${name}`] = value;
  return event;
}
