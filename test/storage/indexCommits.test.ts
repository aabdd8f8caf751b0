// The message index's group commits against Azurite behind the storage meter: concurrent accepts'
// rows share transactions and every row is stored, `remove` takes back a message whose rows went in
// a shared transaction, the same message written twice never meets itself in one transaction, a
// message the service refuses fails alone, and a transaction lost to a storage outage fails every
// accept in it with nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestError, type TableClient } from '@azure/data-tables';
import { loadConfig } from '../../src/config';
import { hourKey, newMessageId } from '../../src/core/ids';
import type { DeliveryRow } from '../../src/relay/ports';
import { createStorageClients } from '../../src/storage/clients';
import { indexEntities, MessageIndexStore } from '../../src/storage/messageIndexStore';
import { FaultyProxy } from '../support/faultyProxy';
import { TEST_SETTINGS } from '../support/fakes';
import { useMeteredAzurite } from '../support/meteredAzurite';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const storage = useMeteredAzurite();
/** each test its own hour, so that they share one table without seeing each other */
let hour = Date.UTC(2026, 5, 1, 9);

function freshHour(): Date {
  hour += 3_600_000;
  return new Date(hour + 60_000);
}

function message(at: Date, recipients: number, changes: Partial<DeliveryRow> = {}): DeliveryRow[] {
  const id = newMessageId(at);
  return Array.from({ length: recipients }, (_, i) => queuedRow(id, at, { recipientKey: `r${i}@example.net`, address: `r${i}@example.net`, ...changes }));
}

function indexTable(): TableClient {
  return createStorageClients(storage.settings()).messageIndex;
}

/** The RowKeys stored in the hour of `at`. */
async function storedKeys(table: TableClient, at: Date): Promise<Set<string>> {
  const keys = new Set<string>();
  const filter = `PartitionKey eq '${hourKey(at)}'`;
  for await (const entity of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) keys.add(String(entity.rowKey));
  return keys;
}

const keysOf = (messages: DeliveryRow[][]) => new Set(indexEntities(messages.flat()).map((e) => e.rowKey));

function writes(): number {
  const calls = storage.tableCalls();
  return (calls.InsertOrReplaceEntity ?? 0) + (calls.EntityGroupTransaction ?? 0);
}

test('8 concurrent messages cost fewer than 8 index writes, every row is stored, and remove takes shared rows back', FILE_TIMEOUT, async () => {
  const table = indexTable();
  const index = new MessageIndexStore(table);
  const at = freshHour();
  const messages = Array.from({ length: 8 }, (_, i) => message(new Date(at.getTime() + i), 1 + (i % 3)));
  storage.reset();
  await Promise.all(messages.map((rows) => index.add(rows)));
  assert.ok(writes() < 8, `index writes for 8 messages: ${JSON.stringify(storage.tableCalls())}`);
  assert.deepEqual(await storedKeys(table, at), keysOf(messages));
  const page = await index.page({ since: at, until: new Date(at.getTime() + 60_000), tags: {}, limit: 20 });
  assert.deepEqual(
    page.items.map((m) => [m.messageId, m.recipientCount]),
    [...messages].reverse().map((rows) => [rows[0].messageId, rows.length]),
  );

  // the accept's undo: three of them, whose rows went in a transaction shared with the others'
  await Promise.all(messages.slice(1, 4).map((rows) => index.remove(rows)));
  assert.deepEqual(await storedKeys(table, at), keysOf([messages[0], ...messages.slice(4)]));
});

test('the same message written twice at once goes in two transactions, not one the service refuses', FILE_TIMEOUT, async () => {
  const table = indexTable();
  const index = new MessageIndexStore(table);
  const at = freshHour();
  const [first, twice] = [message(at, 1), message(at, 2)];
  storage.reset();
  await Promise.all([index.add(first), index.add(twice), index.add(twice)]);
  assert.deepEqual(storage.tableCalls(), { InsertOrReplaceEntity: 1, EntityGroupTransaction: 2 }, 'no refused transaction, no retry');
  assert.deepEqual(await storedKeys(table, at), keysOf([first, twice]));
});

test('a message the service refuses fails alone; the ones that shared its transaction are stored', FILE_TIMEOUT, async () => {
  const table = indexTable();
  const index = new MessageIndexStore(table);
  const at = freshHour();
  const good = Array.from({ length: 6 }, () => message(at, 2));
  // a subject past the 64 KiB a property may hold: refused by the service, as a whole transaction
  const refused = message(at, 2, { subject: 'x'.repeat(40_000) });
  const outcomes = await Promise.allSettled([
    index.add(message(at, 1)),
    ...good.slice(0, 3).map((m) => index.add(m)),
    index.add(refused),
    ...good.slice(3).map((m) => index.add(m)),
  ]);
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  assert.equal(failed.length, 1);
  assert.ok(failed[0].reason instanceof RestError && failed[0].reason.statusCode === 400, String(failed[0].reason));
  assert.equal(outcomes[4].status, 'rejected', 'the refused one is the one that failed');
  const stored = await storedKeys(table, at);
  for (const key of keysOf(good)) assert.ok(stored.has(key), `${key} stored`);
  for (const key of keysOf([refused])) assert.ok(!stored.has(key), `${key} of the refused message not stored`);
});

test('a transaction lost to a storage outage fails every accept in it, and none of their rows is written', FILE_TIMEOUT, async () => {
  const direct = indexTable();
  const tablePort = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(storage.connectionString())?.[1]);
  assert.ok(tablePort > 0, 'the metered table endpoint');
  const proxy = await FaultyProxy.start(tablePort);
  try {
    const settings = { ...TEST_SETTINGS, AzureWebJobsStorage: storage.connectionString().replace(`:${tablePort}/`, `:${proxy.port}/`) };
    const table = createStorageClients(loadConfig(settings)).messageIndex;
    const transactions: number[] = [];
    const submit = table.submitTransaction.bind(table);
    table.submitTransaction = (actions, options) => {
      transactions.push(actions.length);
      return submit(actions, options);
    };
    const index = new MessageIndexStore(table);
    const at = freshHour();
    const messages = [message(at, 1), message(at, 2), message(at, 2), message(at, 3)];
    proxy.fail();
    // the first goes alone; the other three gather behind it and share the next transaction
    const outcomes = await Promise.allSettled(messages.map((rows) => index.add(rows)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected', 'rejected'],
    );
    assert.deepEqual(transactions, [7], "one shared transaction of the three messages' rows, not tried again one by one");
    proxy.heal();
    assert.deepEqual(await storedKeys(direct, at), new Set());
    // the partition is not stuck: the next accept's rows go at once
    await index.add(messages[0]);
    assert.deepEqual(await storedKeys(direct, at), keysOf([messages[0]]));
  } finally {
    await proxy.stop();
  }
});
