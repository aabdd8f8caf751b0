// In-memory fakes of the message index and the kept poison tasks, with the adapters' contracts:
// newest first by (acceptance time, then message id), equality filters, a page that stops at
// `limit` and says where the next one starts, and a read budget (`maxPerPage` messages examined)
// that ends a page early, as the adapter's hour budget does.
import type { ListPosition } from '../../src/core/messageList';
import type {
  DeliveryRow,
  IndexedMessage,
  MessageIndex,
  MessageIndexPage,
  MessageIndexQuery,
  PoisonPage,
  PoisonRecord,
  PoisonTasks,
} from '../../src/relay/ports';
import { asAsync, type CallLog, type Faults } from './fakes';

interface IndexRow {
  message: IndexedMessage;
  recipients: string[];
  fromKey: string;
}

/** a before b in the list's order: newer first, then the smaller id */
function before(a: ListPosition, b: ListPosition): boolean {
  return a.at.getTime() > b.at.getTime() || (a.at.getTime() === b.at.getTime() && a.messageId < b.messageId);
}

export class FakeMessageIndex implements MessageIndex {
  readonly rows = new Map<string, IndexRow>();
  /** how many messages one page may examine before it ends with `next` (the adapter's hour budget) */
  maxPerPage = Number.POSITIVE_INFINITY;

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  add(rows: readonly DeliveryRow[]): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'messageIndex.add');
      const [first] = rows;
      if (!first) return;
      this.rows.set(first.messageId, {
        message: {
          messageId: first.messageId,
          acceptedAt: first.queuedAt,
          from: first.from,
          subject: first.subject,
          tags: { ...first.tags },
          recipientCount: rows.length,
        },
        recipients: rows.map((r) => r.recipientKey),
        fromKey: first.from.toLowerCase(),
      });
    });
  }

  remove(rows: readonly DeliveryRow[]): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'messageIndex.remove');
      for (const row of rows) this.rows.delete(row.messageId);
    });
  }

  page(query: MessageIndexQuery): Promise<MessageIndexPage> {
    return asAsync(() => {
      this.faults.check(this.calls, 'messageIndex.page');
      const start: ListPosition = query.after ?? { at: new Date(query.until.getTime() - 1), messageId: '' };
      const inRange = [...this.rows.values()]
        .map((r) => ({ ...r, position: { at: r.message.acceptedAt, messageId: r.message.messageId } }))
        .filter((r) => r.message.acceptedAt.getTime() >= query.since.getTime() && before(start, r.position))
        .sort((a, b) => (before(a.position, b.position) ? -1 : 1));
      const items: IndexedMessage[] = [];
      let examined: ListPosition | undefined;
      let count = 0;
      for (const r of inRange) {
        if (items.length === query.limit) break;
        if (count === this.maxPerPage && examined) return { items, next: examined };
        count++;
        examined = r.position;
        if (query.from !== undefined && r.fromKey !== query.from) continue;
        if (query.recipient !== undefined && !r.recipients.includes(query.recipient)) continue;
        if (Object.entries(query.tags).some(([n, v]) => r.message.tags[n] !== v)) continue;
        items.push({ ...r.message, tags: { ...r.message.tags } });
      }
      const last = items.at(-1);
      return last && items.length === query.limit ? { items, next: { at: last.acceptedAt, messageId: last.messageId } } : { items };
    });
  }
}

export class FakePoisonTasks implements PoisonTasks {
  readonly records = new Map<string, PoisonRecord>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  put(record: PoisonRecord): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'poisonTasks.put');
      this.records.set(record.id, structuredClone(record));
    });
  }

  get(id: string): Promise<PoisonRecord | undefined> {
    return asAsync(() => {
      this.faults.check(this.calls, 'poisonTasks.get');
      const found = this.records.get(id);
      return found && structuredClone(found);
    });
  }

  list(limit: number, after?: string): Promise<PoisonPage> {
    return asAsync(() => {
      this.faults.check(this.calls, 'poisonTasks.list');
      const sorted = [...this.records.values()].filter((r) => after === undefined || r.id > after).sort((a, b) => (a.id < b.id ? -1 : 1));
      const items = sorted.slice(0, limit).map((r) => structuredClone(r));
      return sorted.length > limit ? { items, next: items[items.length - 1].id } : { items };
    });
  }

  delete(id: string): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'poisonTasks.delete');
      this.records.delete(id);
    });
  }
}
