// GET /api/v1/messages (operator): the accepted messages newest first, from the time index, with
// each listed message's status read from its own deliveries partition, and only those. The index
// is written once, at accept, and never updated: a message's status changes with every recipient's
// outcome, and keeping a copy of it in the index would cost the relay path a read and a write per
// outcome. So `status=` is answered by reading the candidates' partitions: a page examines at
// most READ_ROUNDS index pages and may come back short, with a token to go on. A message whose
// index rows have no deliveries rows (an accept that failed after indexing) is not listed.
import { messageStatus, type RecipientStatus } from '../core/delivery';
import { encodeListToken, type ListPosition, validateMessageListQuery } from '../core/messageList';
import type { Validated } from '../core/sendRequest';
import type { Category } from '../core/categories';
import { orStorageUnavailable, ValidationError } from '../errors';
import type { MessageView } from './messageStatus';
import type { DeliveryRow, IndexedMessage } from './ports';
import type { RelayDeps } from './deps';

/** A message as the status answer shows it (`status` completed once every recipient is final, `updatedAt` its latest change), recipients counted. */
export interface MessageSummary extends Omit<MessageView, 'recipients'> {
  recipients: { count: number; byStatus: Partial<Record<RecipientStatus, number>> };
  /** with `recipient=`: that recipient's own state */
  recipient?: { address: string; status: RecipientStatus; smtpCode: number | null; response: string | null; category: Category | null };
}

export interface MessageListPage {
  items: MessageSummary[];
  /** pass it back, with the same filters, for the next page; null when there is no more */
  continuationToken: string | null;
}

/** Index pages one request reads at most before it answers what it has (with a token). */
export const READ_ROUNDS = 3;
/** Deliveries partitions read at once. */
const PARALLEL_READS = 16;

export async function listMessages(deps: RelayDeps, query: readonly (readonly [string, string])[]): Promise<MessageListPage> {
  const q = valid(validateMessageListQuery(query, deps.now()));
  const items: MessageSummary[] = [];
  let after: ListPosition | undefined = q.after;
  for (let round = 0; round < READ_ROUNDS; round++) {
    const page = await storage(() => deps.messageIndex.page({ ...q, after, limit: q.limit - items.length }));
    const rows = await storage(() => readPartitions(deps, page.items));
    page.items.forEach((message, i) => {
      const summary = summarize(message, rows[i] ?? [], q.recipient);
      if (summary && (q.status === undefined || summary.status === q.status)) items.push(summary);
    });
    if (!page.next) return { items, continuationToken: null };
    after = page.next;
    if (items.length === q.limit) break;
  }
  return { items, continuationToken: encodeListToken(after!, q) };
}

async function readPartitions(deps: RelayDeps, messages: readonly IndexedMessage[]): Promise<DeliveryRow[][]> {
  const rows: DeliveryRow[][] = [];
  for (let i = 0; i < messages.length; i += PARALLEL_READS) {
    rows.push(...(await Promise.all(messages.slice(i, i + PARALLEL_READS).map((m) => deps.deliveries.listMessage(m.messageId)))));
  }
  return rows;
}

function summarize(message: IndexedMessage, rows: readonly DeliveryRow[], recipient: string | undefined): MessageSummary | undefined {
  if (rows.length === 0) return undefined;
  const byStatus: Partial<Record<RecipientStatus, number>> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  const summary: MessageSummary = {
    id: message.messageId,
    status: messageStatus(rows.map((r) => r.status)),
    createdAt: message.acceptedAt.toISOString(),
    updatedAt: new Date(Math.max(...rows.map((r) => r.updatedAt.getTime()))).toISOString(),
    from: message.from,
    subject: message.subject,
    tags: message.tags,
    recipients: { count: rows.length, byStatus },
  };
  const own = recipient === undefined ? undefined : rows.find((r) => r.recipientKey === recipient);
  if (own) {
    summary.recipient = {
      address: own.address,
      status: own.status,
      smtpCode: own.smtpCode ?? null,
      response: own.response ?? null,
      category: own.category ?? null,
    };
  }
  return summary;
}

function valid<T>(validated: Validated<T>): T {
  if (!validated.ok) throw new ValidationError(validated.errors);
  return validated.value;
}

function storage<T>(action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, 'Storage failed while reading the message list. Retry later: the same request can be repeated safely.');
}
