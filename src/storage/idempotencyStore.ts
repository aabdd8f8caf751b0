// Idempotency-Key reservations: PartitionKey = SHA-256 of the key (keys may hold characters a table
// key cannot), RowKey empty. Created before anything else is written, removed if the accept fails.
import { RestError, type TableClient } from '@azure/data-tables';
import { sha256Hex } from '../core/ids';
import type { Reservation } from '../core/idempotency';
import type { IdempotencyKeys, ReserveResult } from '../relay/ports';

export class IdempotencyStore implements IdempotencyKeys {
  constructor(private readonly table: TableClient) {}

  async reserve(key: string, reservation: Reservation): Promise<ReserveResult> {
    try {
      await this.table.createEntity(toEntity(key, reservation));
      return { reserved: true };
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 409)) throw err;
    }
    const entity = await this.table.getEntity<Record<string, unknown>>(sha256Hex(key), '');
    return {
      reserved: false,
      etag: entity.etag,
      existing: {
        bodyHash: String(entity.bodyHash),
        messageId: String(entity.messageId),
        createdAt: entity.createdAt instanceof Date ? entity.createdAt : new Date(String(entity.createdAt)),
        answer: String(entity.answer),
      },
    };
  }

  /** Replaces an expired or abandoned reservation; false if someone else replaced it first. */
  async takeOver(key: string, reservation: Reservation, etag: string): Promise<boolean> {
    try {
      await this.table.updateEntity(toEntity(key, reservation), 'Replace', { etag });
      return true;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 412 || err.statusCode === 404)) return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await this.table.deleteEntity(sha256Hex(key), '');
  }
}

function toEntity(key: string, reservation: Reservation) {
  return { partitionKey: sha256Hex(key), rowKey: '', ...reservation };
}
