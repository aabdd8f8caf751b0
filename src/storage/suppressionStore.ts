// The suppressions table: PartitionKey = the address in lower case, RowKey = the scope ("all", or
// the sender domain an unsubscribe came from). Every entry of one address is one partition, so the
// check before a send is one query whatever the scopes; a list by recipient domain filters on the
// `domain` property (an operator's paged read, not a send's). Every write touches the list's change
// marks (./suppressionChanges.ts), so a delivery can tell whether its accept's lookup still holds.
import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { domainOf } from '../core/address';
import { isCategory } from '../core/categories';
import { SUPPRESSION_SOURCES, type SuppressionEntry, type SuppressionSource } from '../core/suppression';
import type { SuppressionPage, SuppressionQuery, Suppressions } from '../relay/ports';
import { ValidationError } from '../errors';
import { MARKS_PARTITION, SuppressionChanges } from './suppressionChanges';

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

export class SuppressionStore implements Suppressions {
  readonly #changes: SuppressionChanges;

  constructor(private readonly table: TableClient) {
    this.#changes = new SuppressionChanges(table);
  }

  changedSince(address: string, at: Date): Promise<boolean> {
    return this.#changes.changedSince(address, at);
  }

  async find(address: string): Promise<SuppressionEntry[]> {
    const entries: SuppressionEntry[] = [];
    const filter = `PartitionKey eq '${quote(address.toLowerCase())}'`;
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) entries.push(fromEntity(entity));
    return entries;
  }

  async put(entry: SuppressionEntry): Promise<'created' | 'replaced'> {
    await this.#changes.touch(entry.address);
    const result = await this.#write(entry);
    await this.#changes.touch(entry.address);
    return result;
  }

  async #write(entry: SuppressionEntry): Promise<'created' | 'replaced'> {
    try {
      await this.table.createEntity(toEntity(entry));
      return 'created';
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 409)) throw err;
    }
    await this.table.upsertEntity(toEntity(entry), 'Replace');
    return 'replaced';
  }

  async delete(address: string, scope?: string): Promise<number> {
    const key = address.toLowerCase();
    const scopes = scope === undefined ? (await this.find(key)).map((e) => e.scope) : [scope];
    let removed = 0;
    for (const s of scopes) {
      try {
        await this.table.deleteEntity(key, s);
        removed++;
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      }
    }
    return removed;
  }

  async list(query: SuppressionQuery): Promise<SuppressionPage> {
    const clauses = [`PartitionKey ne '${MARKS_PARTITION}'`];
    if (query.domain !== undefined) clauses.push(`domain eq '${quote(query.domain.toLowerCase())}'`);
    if (query.source !== undefined) clauses.push(`source eq '${quote(query.source)}'`);
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: clauses.join(' and ') } })
      .byPage({ maxPageSize: query.limit, continuationToken: query.continuationToken === undefined ? undefined : sdkToken(query.continuationToken) });
    for await (const page of pages) {
      return page.continuationToken ? { items: page.map(fromEntity), continuationToken: listToken(page.continuationToken) } : { items: page.map(fromEntity) };
    }
    return { items: [] };
  }
}

// The SDK's token is base64 JSON of the next keys; handed out as base64url, so that it survives a
// query string unencoded ('+' would read as a space), and checked on the way back so that a made-up
// token is the caller's 400, not a parse error deep in the SDK.
function listToken(token: string): string {
  return Buffer.from(token, 'base64').toString('base64url');
}

function sdkToken(token: string): string {
  const refused = new ValidationError([{ field: 'continuationToken', message: 'is not a token this list handed out' }]);
  let keys: unknown;
  try {
    keys = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw refused;
  }
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) throw refused;
  const { nextPartitionKey, nextRowKey, ...rest } = keys as Record<string, unknown>;
  const isKey = (k: unknown) => typeof k === 'string' && k !== '' && k.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(k);
  if (Object.keys(rest).length > 0 || !isKey(nextPartitionKey) || (nextRowKey !== undefined && !isKey(nextRowKey))) throw refused;
  return Buffer.from(JSON.stringify(nextRowKey === undefined ? { nextPartitionKey } : { nextPartitionKey, nextRowKey })).toString('base64');
}

function quote(value: string): string {
  return value.replace(/'/g, "''");
}

function toEntity(entry: SuppressionEntry): Entity {
  const entity: Entity = {
    partitionKey: entry.address.toLowerCase(),
    rowKey: entry.scope,
    domain: domainOf(entry.address),
    reason: entry.reason,
    source: entry.source,
    createdAt: entry.createdAt,
  };
  if (entry.category !== undefined) entity.category = entry.category;
  if (entry.expiresAt !== undefined) entity.expiresAt = entry.expiresAt;
  if (entry.messageId !== undefined) entity.messageId = entry.messageId;
  return entity;
}

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): SuppressionEntry {
  const source = SUPPRESSION_SOURCES.includes(entity.source as SuppressionSource) ? (entity.source as SuppressionSource) : 'manual';
  return {
    address: String(entity.partitionKey),
    scope: String(entity.rowKey),
    reason: typeof entity.reason === 'string' ? entity.reason : '',
    category: isCategory(entity.category) ? entity.category : undefined,
    source,
    createdAt: toDate(entity.createdAt) ?? new Date(0),
    expiresAt: toDate(entity.expiresAt),
    messageId: typeof entity.messageId === 'string' ? entity.messageId : undefined,
  };
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value) return new Date(value);
  return undefined;
}
