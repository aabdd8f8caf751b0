// The deliveries table: one row per recipient, PartitionKey = message id, RowKey = recipient address
// in lower case. Rows change only by ETag-conditional replace, so two invocations can never both
// believe they own a recipient.
import { RestError, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { RecipientStatus } from '../core/delivery';
import { isCategory } from '../core/categories';
import { type DeliveryRow, type DeliveryRows, RowChangedError, type StoredRow } from '../relay/ports';

const TAG_PREFIX = 'tag_';

export class DeliveryStore implements DeliveryRows {
  constructor(private readonly table: TableClient) {}

  /** Writes every row of one message atomically: one insert, or one transaction (one partition, at most 100 rows). */
  async insertMessage(rows: readonly DeliveryRow[]): Promise<void> {
    // One row is atomic by itself, and a plain insert costs storage (and this process) less work
    // than a transaction of one.
    if (rows.length === 1) {
      await this.table.createEntity(toEntity(rows[0]));
      return;
    }
    const actions: TransactionAction[] = rows.map((row) => ['create', toEntity(row)]);
    await this.table.submitTransaction(actions);
  }

  async get(messageId: string, recipientKey: string): Promise<StoredRow | undefined> {
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(messageId, recipientKey);
      return { row: fromEntity(entity), etag: entity.etag };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** Whether any row of the message exists; reads one key, not the rows. */
  async hasMessage(messageId: string): Promise<boolean> {
    const filter = `PartitionKey eq '${messageId.replace(/'/g, "''")}'`;
    const pages = this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 1 });
    for await (const page of pages) if (page.length > 0) return true;
    return false;
  }

  async listMessage(messageId: string): Promise<DeliveryRow[]> {
    const rows: DeliveryRow[] = [];
    const filter = `PartitionKey eq '${messageId.replace(/'/g, "''")}'`;
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      rows.push(fromEntity(entity));
    }
    return rows;
  }

  /** Replaces the row if it still has `etag`; returns the new ETag, or throws RowChangedError. */
  async replace(row: DeliveryRow, etag: string): Promise<string> {
    try {
      const result = await this.table.updateEntity(toEntity(row), 'Replace', { etag });
      // Handing back the old ETag would make the next replace fail as if another invocation had won.
      if (!result.etag) throw new Error(`storage returned no ETag for delivery ${row.messageId} to ${row.recipientKey}`);
      return result.etag;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 412 || err.statusCode === 404)) {
        throw new RowChangedError(`delivery ${row.messageId} to ${row.recipientKey} changed meanwhile`);
      }
      throw err;
    }
  }
}

function toEntity(row: DeliveryRow): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
    partitionKey: row.messageId,
    rowKey: row.recipientKey,
    address: row.address,
    status: row.status,
    attempts: row.attempts,
    from: row.from,
    subject: row.subject,
    queuedAt: row.queuedAt,
    updatedAt: row.updatedAt,
  };
  const optional = {
    smtpCode: row.smtpCode,
    enhancedCode: row.enhancedCode,
    response: row.response,
    category: row.category,
    heldBy: row.heldBy,
    smartHost: row.smartHost,
    upstreamId: row.upstreamId,
    unsubscribe: row.unsubscribe || undefined,
    messageBytes: row.messageBytes,
    charset: row.charset,
    nextAttemptAt: row.nextAttemptAt,
    sendAt: row.sendAt,
    sentAt: row.sentAt,
    leaseUntil: row.leaseUntil,
    leaseOwner: row.leaseOwner,
    redeliveries: row.redeliveries || undefined,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) entity[key] = value;
  for (const [name, value] of Object.entries(row.tags)) entity[TAG_PREFIX + name] = value;
  return entity;
}

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): DeliveryRow {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (key.startsWith(TAG_PREFIX) && typeof value === 'string') tags[key.slice(TAG_PREFIX.length)] = value;
  }
  return {
    messageId: String(entity.partitionKey),
    recipientKey: String(entity.rowKey),
    address: String(entity.address),
    status: entity.status as RecipientStatus,
    attempts: Number(entity.attempts ?? 0),
    smtpCode: entity.smtpCode === undefined ? undefined : Number(entity.smtpCode),
    enhancedCode: optionalString(entity.enhancedCode),
    response: optionalString(entity.response),
    category: isCategory(entity.category) ? entity.category : undefined,
    heldBy: optionalString(entity.heldBy),
    smartHost: optionalString(entity.smartHost),
    upstreamId: optionalString(entity.upstreamId),
    unsubscribe: entity.unsubscribe === true ? true : undefined,
    messageBytes: entity.messageBytes === undefined ? undefined : Number(entity.messageBytes),
    charset: entity.charset === 'iso-2022-jp' ? 'iso-2022-jp' : undefined,
    from: String(entity.from),
    subject: optionalString(entity.subject) ?? '',
    tags,
    queuedAt: toDate(entity.queuedAt) ?? new Date(0),
    updatedAt: toDate(entity.updatedAt) ?? new Date(0),
    nextAttemptAt: toDate(entity.nextAttemptAt),
    sentAt: toDate(entity.sentAt),
    leaseUntil: toDate(entity.leaseUntil),
    leaseOwner: optionalString(entity.leaseOwner),
    redeliveries: entity.redeliveries === undefined ? undefined : Number(entity.redeliveries),
    ...(toDate(entity.sendAt) ? { sendAt: toDate(entity.sendAt) } : {}),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value) return new Date(value);
  return undefined;
}
