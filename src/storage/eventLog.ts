// The events table: one row per recipient outcome, PartitionKey = the UTC hour (yyyyMMddHH), so that
// operators list what happened in an hour without scanning every message's partition.
//
// Events written at the same moment share their partition, so concurrent invocations' events are
// committed together (storage/partitionCommits): while one transaction is in flight, the next ones
// gather and go as one. The events of paced sends also wait a moment for each other
// (PACED_EVENT_GATHER_MS). Each caller still waits for its own event to be stored.
import { odata, type TableClient } from '@azure/data-tables';
import { hourKey, timeKey } from '../core/ids';
import type { DeliveryEvents, DeliveryRow, OutcomeEvent, SentEvent } from '../relay/ports';
import { isCategory } from '../core/categories';
import { RECIPIENT_STATUSES, type RecipientStatus } from '../core/delivery';
import { PartitionCommits, type TableEntity } from './partitionCommits';

/**
 * How long the event of a send paced by a rate rule may wait for the next one, when the previous
 * event arrived less than that ago. Paced sends come a few ms apart (100/s: 10 ms) and each event is
 * written after its send, when nothing is in flight to gather behind, so each would be a transaction
 * of its own; waiting, two go as one (storage meter, 48 sends: 1.00 -> 0.57 event writes per message
 * at 100/s, 0.93 -> 0.44 at 200/s; slower than one per 15 ms nothing waits, as nothing would join).
 * The wait is after the SMTP reply, so it delays the invocation's end, not the hand-over, and a
 * paced invocation's throughput is set by the rule, not by its length.
 */
export const PACED_EVENT_GATHER_MS = 15;

export class EventLog implements DeliveryEvents {
  readonly #commits: PartitionCommits;

  constructor(
    private readonly table: TableClient,
    private readonly pacedGatherMs = PACED_EVENT_GATHER_MS,
  ) {
    this.#commits = new PartitionCommits(table);
  }

  /** Records the rows' current state at `at`. Rewriting the same event is harmless (upsert). */
  async record(rows: readonly DeliveryRow[], at: Date, paced = false): Promise<void> {
    const gatherMs = paced ? this.pacedGatherMs : 0;
    await Promise.all(rows.map((row) => this.#commits.upsert([toEvent(row, at)], gatherMs)));
  }

  /**
   * The `sent` events with this upstreamId, newest hour first: one filtered query per hour partition,
   * stopping at the first hour that has any (an upstream id names one SMTP transaction).
   */
  async findSent(upstreamId: string, before: Date, hours: number): Promise<SentEvent[]> {
    for (let h = 0; h < hours; h++) {
      const partition = hourKey(new Date(before.getTime() - h * 3_600_000));
      const filter = odata`PartitionKey eq ${partition} and upstreamId eq ${upstreamId} and status eq 'sent'`;
      const found: SentEvent[] = [];
      const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['messageId', 'recipient', 'at'] } });
      for await (const entity of entities) {
        found.push({ messageId: String(entity.messageId), recipientKey: String(entity.recipient), at: toDate(entity.at) });
      }
      if (found.length > 0) return found.sort((a, b) => b.at.getTime() - a.at.getTime());
    }
    return [];
  }

  async inHour(hour: Date): Promise<OutcomeEvent[]> {
    const filter = odata`PartitionKey eq ${hourKey(hour)}`;
    const found: OutcomeEvent[] = [];
    const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: OUTCOME_FIELDS } });
    for await (const entity of entities) found.push(toOutcome(entity));
    return found;
  }
}

function eventKey(row: DeliveryRow, at: Date): string {
  return `${timeKey(at)}_${row.messageId}_${row.recipientKey}_${row.status}`;
}

function toEvent(row: DeliveryRow, at: Date): TableEntity {
  const event: TableEntity = {
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
  if (row.category !== undefined) event.category = row.category;
  if (row.heldBy !== undefined) event.heldBy = row.heldBy;
  if (row.smartHost !== undefined) event.smartHost = row.smartHost;
  if (row.upstreamId !== undefined) event.upstreamId = row.upstreamId;
  if (row.nextAttemptAt !== undefined) event.nextAttemptAt = row.nextAttemptAt;
  for (const [name, value] of Object.entries(row.tags)) event[`tag_${name}`] = value;
  return event;
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** What the stats read of an event: not its tags or upstream id. */
const OUTCOME_FIELDS = [
  'messageId',
  'recipient',
  'status',
  'at',
  'from',
  'subject',
  'smtpCode',
  'enhancedCode',
  'response',
  'category',
  'heldBy',
  'nextAttemptAt',
];

function toOutcome(entity: Record<string, unknown>): OutcomeEvent {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const status = (RECIPIENT_STATUSES as readonly unknown[]).includes(entity.status) ? (entity.status as RecipientStatus) : 'queued';
  const event: OutcomeEvent = {
    messageId: String(entity.messageId),
    recipientKey: String(entity.recipient),
    status,
    at: toDate(entity.at),
    from: text(entity.from) ?? '',
    subject: text(entity.subject) ?? '',
  };
  if (typeof entity.smtpCode === 'number') event.smtpCode = entity.smtpCode;
  const enhancedCode = text(entity.enhancedCode);
  if (enhancedCode) event.enhancedCode = enhancedCode;
  const response = text(entity.response);
  if (response) event.response = response;
  if (isCategory(entity.category)) event.category = entity.category;
  const heldBy = text(entity.heldBy);
  if (heldBy) event.heldBy = heldBy;
  if (entity.nextAttemptAt !== undefined && entity.nextAttemptAt !== null) event.nextAttemptAt = toDate(entity.nextAttemptAt);
  return event;
}
