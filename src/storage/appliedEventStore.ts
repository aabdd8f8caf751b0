// Upstream event ids applied already, kept in the idempotency table: PartitionKey = "event-" + SHA-256
// of source and id, RowKey empty. Idempotency-Key reservations there are keyed by a bare SHA-256 (64
// hex characters), so the prefix keeps the two apart; one table fewer to create and grant.
import { RestError, type TableClient } from '@azure/data-tables';
import { sha256Hex } from '../core/ids';
import type { AppliedEvents } from '../relay/ports';

export const APPLIED_EVENT_PREFIX = 'event-';

export function appliedEventKey(source: string, eventId: string): string {
  return APPLIED_EVENT_PREFIX + sha256Hex(`${source}\n${eventId}`);
}

export class AppliedEventStore implements AppliedEvents {
  constructor(private readonly table: TableClient) {}

  /** Insert-if-absent: one storage call, and a conflict means the event was applied before. */
  async firstTime(source: string, eventId: string, at: Date): Promise<boolean> {
    try {
      await this.table.createEntity({ partitionKey: appliedEventKey(source, eventId), rowKey: '', source, appliedAt: at });
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 409) return false;
      throw err;
    }
  }

  async forget(source: string, eventId: string): Promise<void> {
    try {
      await this.table.deleteEntity(appliedEventKey(source, eventId), '');
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
    }
  }
}
