// The tasks the relay gave up on, kept for the operators: rows of the message index table in its
// own partition `poison` (the hour partitions are ten digits, so the two never meet), RowKey = the
// record's id. The task travels as JSON cut into columns of at most 30,000 characters, since a
// string column holds 64 KiB of UTF-16 and a small message's body rides inside its task.
import { odata, RestError, type TableClient } from '@azure/data-tables';
import { parseDeliveryTask } from '../core/deliveryTask';
import type { PoisonPage, PoisonRecord, PoisonTasks } from '../relay/ports';

export const POISON_PARTITION = 'poison';
const CHUNK_CHARS = 30_000;

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

export class PoisonStore implements PoisonTasks {
  constructor(private readonly table: TableClient) {}

  async put(record: PoisonRecord): Promise<void> {
    await this.table.upsertEntity(toEntity(record), 'Replace');
  }

  async get(id: string): Promise<PoisonRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity<Record<string, unknown>>(POISON_PARTITION, id));
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async list(limit: number, after?: string): Promise<PoisonPage> {
    const filter = after === undefined ? odata`PartitionKey eq ${POISON_PARTITION}` : odata`PartitionKey eq ${POISON_PARTITION} and RowKey gt ${after}`;
    const items: PoisonRecord[] = [];
    for await (const page of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: limit + 1 })) {
      for (const entity of page) {
        const record = fromEntity(entity);
        if (!record) continue;
        if (items.length === limit) return { items, next: items[items.length - 1].id };
        items.push(record);
      }
    }
    return { items };
  }

  async delete(id: string): Promise<void> {
    try {
      await this.table.deleteEntity(POISON_PARTITION, id);
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
    }
  }
}

function toEntity(record: PoisonRecord): Entity {
  const json = JSON.stringify(record.task);
  const entity: Entity = {
    partitionKey: POISON_PARTITION,
    rowKey: record.id,
    messageId: record.messageId,
    recipient: record.recipient,
    poisonedAt: record.poisonedAt,
    failedAt: record.failedAt,
    attempts: record.attempts,
    taskChunks: Math.ceil(json.length / CHUNK_CHARS),
  };
  for (let i = 0; i * CHUNK_CHARS < json.length; i++) entity[`task${i}`] = json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  if (record.lastResponse !== undefined) entity.lastResponse = record.lastResponse;
  return entity;
}

/** A record, or undefined for a row whose task no longer reads as one (it is skipped, not fatal). */
function fromEntity(entity: Record<string, unknown>): PoisonRecord | undefined {
  const chunks = Number(entity.taskChunks ?? 0);
  let json = '';
  for (let i = 0; i < chunks; i++) {
    const chunk = entity[`task${i}`];
    json += typeof chunk === 'string' ? chunk : '';
  }
  const task = parseDeliveryTask(json);
  if (!task) return undefined;
  const record: PoisonRecord = {
    id: String(entity.rowKey),
    messageId: String(entity.messageId),
    recipient: String(entity.recipient),
    task,
    poisonedAt: toDate(entity.poisonedAt),
    failedAt: toDate(entity.failedAt),
    attempts: Number(entity.attempts ?? 0),
  };
  if (typeof entity.lastResponse === 'string') record.lastResponse = entity.lastResponse;
  return record;
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}
