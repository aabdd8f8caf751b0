// Reading what the relay stored, straight from the tables, for assertions the status endpoint cannot
// make: the events history of a recipient, and row properties the API does not show.
import type { RelayHarness } from './relayHarness';

export interface StoredEvent {
  messageId: string;
  recipient: string;
  status: string;
  attempts: number;
  smtpCode?: number;
  response?: string;
  category?: string;
  at: Date;
}

/** Every event row of these messages (all of them when no ids are given), oldest first. */
export async function storedEvents(relay: RelayHarness, messageIds?: readonly string[]): Promise<StoredEvent[]> {
  const wanted = messageIds && new Set(messageIds);
  // One id: a filter; many: one scan of the table (the tests' tables are small).
  const filter = messageIds?.length === 1 ? `messageId eq '${messageIds[0]}'` : undefined;
  const events: StoredEvent[] = [];
  // the event log writes the SMTP response as text
  for await (const e of relay.clients.events.listEntities<Record<string, unknown> & { response?: string }>({ queryOptions: { filter } })) {
    if (wanted && !wanted.has(String(e.messageId))) continue;
    events.push({
      messageId: String(e.messageId),
      recipient: String(e.recipient),
      status: String(e.status),
      attempts: Number(e.attempts),
      smtpCode: e.smtpCode === undefined ? undefined : Number(e.smtpCode),
      response: e.response === undefined ? undefined : String(e.response),
      category: typeof e.category === 'string' ? e.category : undefined,
      at: e.at instanceof Date ? e.at : new Date(String(e.at)),
    });
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.attempts - b.attempts);
}

/**
 * The events of one message, read once the invocations that logged these outcomes (e.g.
 * "user@example.net: sent") have ended: an invocation writes its event before its Executed line, so
 * none is missing and none can still arrive.
 */
export async function eventsAfter(
  relay: RelayHarness,
  messageId: string,
  outcomeLines: readonly string[],
  functionName = 'relayDelivery',
): Promise<StoredEvent[]> {
  for (const line of outcomeLines) await relay.waitForExecuted(functionName, { invocationOf: `message ${messageId} to ${line}` });
  return storedEvents(relay, [messageId]);
}

/**
 * Polls the events table until `done` holds for these messages' events, and returns them. An event row
 * is written after the row that makes a status final, so a read right after `completed` can miss some.
 */
export async function waitForEvents(
  relay: RelayHarness,
  messageIds: readonly string[],
  done: (events: StoredEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await storedEvents(relay, messageIds);
    if (done(events)) return events;
    if (Date.now() > deadline)
      throw new Error(
        `the events of ${messageIds.length} message(s) were not all written within ${timeoutMs} ms; seen: ${JSON.stringify(events.map((e) => `${e.recipient} ${e.status} ${e.attempts}`))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** For waitForEvents: at least `n` outcome events (the accept's 'queued' left out). */
export function outcomes(n: number): (events: StoredEvent[]) => boolean {
  return (events) => events.filter((e) => e.status !== 'queued').length >= n;
}

/**
 * Polls until every attempt any deliveries row counts has its event row (one per attempt's outcome), so
 * that counts taken now do not change under a test as the last events of earlier messages land.
 */
export async function waitForEveryAttemptRecorded(relay: RelayHarness, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempts = [...(await storedDeliveries(relay)).values()].reduce((sum, row) => sum + Number(row.attempts ?? 0), 0);
    const recorded = (await storedEvents(relay)).filter((e) => e.status !== 'queued').length;
    if (recorded >= attempts) return;
    if (Date.now() > deadline) throw new Error(`${attempts} attempts in the deliveries table but ${recorded} outcome events after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The outcome events of one recipient: its history after the accept, e.g. ['deferred 1 451', 'sent 2 250']. */
export function outcomeHistory(events: readonly StoredEvent[], recipient: string): string[] {
  // The accept's 'queued' event is left out: it says nothing about delivery (and is being removed).
  return events.filter((e) => e.recipient === recipient.toLowerCase() && e.status !== 'queued').map((e) => `${e.status} ${e.attempts} ${e.smtpCode ?? '-'}`);
}

/** Every deliveries row as stored, keyed "messageId/recipient". */
export async function storedDeliveries(relay: RelayHarness): Promise<Map<string, Record<string, unknown>>> {
  const rows = new Map<string, Record<string, unknown>>();
  for await (const row of relay.clients.deliveries.listEntities<Record<string, unknown>>()) rows.set(`${row.partitionKey}/${row.rowKey}`, row);
  return rows;
}
