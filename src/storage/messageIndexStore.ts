// The message index table (RELAY_MESSAGE_INDEX_TABLE): one row per recipient of every accepted
// message, PartitionKey = the UTC hour of acceptance (yyyyMMddHH), RowKey = inverted acceptance
// time in ms (13 digits), "_", message id, "_", recipient in lower case. A partition so reads newest
// first, a message's rows sit together, and all of them go in one transaction (one partition, at
// most 100 recipients). Concurrent accepts of one hour share it (storage/partitionCommits): while
// one index transaction is in flight, the messages that arrive go together in the next, each
// message's rows whole, so a burst of accepts costs far fewer than one index write each. `from`,
// `recipient` and the `tag_<name>` columns let the service filter by equality itself, so a filtered
// list still reads only the rows it returns.
//
// A list walks the hours newest first, one query per hour, each stopping as soon as the page is
// full: a page of 50 reads about 50 rows per recipient, whatever the table holds. An hour with
// nothing costs one empty query; at most MAX_HOURS_PER_PAGE hours are read per page, then the page
// ends with a `next` position and the caller follows it.
import { odata, RestError, type TableClient } from '@azure/data-tables';
import { hourKey } from '../core/ids';
import type { ListPosition } from '../core/messageList';
import type { DeliveryRow, IndexedMessage, MessageIndex, MessageIndexPage, MessageIndexQuery } from '../relay/ports';
import { PartitionCommits, type TableEntity } from './partitionCommits';

export const MAX_HOURS_PER_PAGE = 72;
const HOUR_MS = 3_600_000;
const MAX_MS = 9_999_999_999_999;

/** 13 digits that sort the newest time first. */
export function invertedTime(at: Date): string {
  return String(MAX_MS - at.getTime()).padStart(13, '0');
}

export function indexRowKey(row: Pick<DeliveryRow, 'queuedAt' | 'messageId' | 'recipientKey'>): string {
  return `${invertedTime(row.queuedAt)}_${row.messageId}_${row.recipientKey}`;
}

export class MessageIndexStore implements MessageIndex {
  readonly #commits: PartitionCommits;

  constructor(private readonly table: TableClient) {
    this.#commits = new PartitionCommits(table);
  }

  /** All of the message's rows or none; maybe in one transaction with other messages' rows. */
  add(rows: readonly DeliveryRow[]): Promise<void> {
    return this.#commits.upsert(indexEntities(rows));
  }

  /** By key, one row at a time: the rows may have gone in a transaction shared with other messages'. */
  async remove(rows: readonly DeliveryRow[]): Promise<void> {
    for (const row of rows) {
      try {
        await this.table.deleteEntity(hourKey(row.queuedAt), indexRowKey(row));
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      }
    }
  }

  async page(query: MessageIndexQuery): Promise<MessageIndexPage> {
    const items: IndexedMessage[] = [];
    let position: ListPosition = query.after ?? { at: new Date(query.until.getTime() - 1), messageId: '' };
    for (let hours = 0; hours < MAX_HOURS_PER_PAGE; hours++) {
      if (position.at.getTime() < query.since.getTime()) return { items };
      const full = await this.#readHour(query, position, items);
      if (full) return { items, next: full };
      const last = items.at(-1);
      if (last && items.length === query.limit) return { items, next: { at: last.acceptedAt, messageId: last.messageId } };
      const hourStart = Math.floor(position.at.getTime() / HOUR_MS) * HOUR_MS;
      position = { at: new Date(hourStart - 1), messageId: '' };
    }
    return position.at.getTime() < query.since.getTime() ? { items } : { items, next: position };
  }

  /** Adds the hour's messages after `position` to `items`; returns the last one's position once `limit` are in. */
  async #readHour(query: MessageIndexQuery, position: ListPosition, items: IndexedMessage[]): Promise<ListPosition | undefined> {
    const partition = hourKey(position.at);
    const inverted = invertedTime(position.at);
    // "`" sorts after "_": past every row of that message, before the next id's
    const start = position.messageId === '' ? odata`RowKey ge ${inverted}` : odata`RowKey gt ${`${inverted}_${position.messageId}\``}`;
    const clauses = [odata`PartitionKey eq ${partition}`, start];
    if (hourKey(query.since) === partition) clauses.push(odata`RowKey lt ${`${invertedTime(query.since)}\``}`);
    if (query.from !== undefined) clauses.push(odata`fromKey eq ${query.from}`);
    if (query.recipient !== undefined) clauses.push(odata`recipient eq ${query.recipient}`);
    // a tag's name is checked (a letter, then letters, digits, _), so it is safe as a column name
    for (const [name, value] of Object.entries(query.tags)) clauses.push(`tag_${name} eq '${value.replace(/'/g, "''")}'`);
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: clauses.join(' and ') } });
    // one row per recipient: limit + 1 rows is a full page when each message has one
    const need = query.limit - items.length;
    let last: IndexedMessage | undefined;
    for await (const page of pages.byPage({ maxPageSize: Math.min(1000, need + 1) })) {
      for (const entity of page) {
        const messageId = String(entity.messageId);
        if (last?.messageId === messageId) continue;
        if (items.length === query.limit) return { at: last!.acceptedAt, messageId: last!.messageId };
        last = fromEntity(entity);
        items.push(last);
      }
    }
    return undefined;
  }
}

/** One message's index rows, as `add` writes them (tests write many at once with these). */
export function indexEntities(rows: readonly DeliveryRow[]): TableEntity[] {
  return rows.map((row) => toEntity(row, rows.length));
}

function toEntity(row: DeliveryRow, recipientCount: number): TableEntity {
  const entity: TableEntity = {
    partitionKey: hourKey(row.queuedAt),
    rowKey: indexRowKey(row),
    messageId: row.messageId,
    recipient: row.recipientKey,
    acceptedAt: row.queuedAt,
    from: row.from,
    fromKey: row.from.toLowerCase(),
    subject: row.subject,
    recipientCount,
  };
  for (const [name, value] of Object.entries(row.tags)) entity[`tag_${name}`] = value;
  return entity;
}

function fromEntity(entity: Record<string, unknown>): IndexedMessage {
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(entity)) if (name.startsWith('tag_')) tags[name.slice(4)] = String(value);
  const at = entity.acceptedAt;
  return {
    messageId: String(entity.messageId),
    acceptedAt: at instanceof Date ? at : new Date(String(at)),
    from: String(entity.from),
    subject: typeof entity.subject === 'string' ? entity.subject : '',
    tags,
    recipientCount: Number(entity.recipientCount ?? 1),
  };
}
