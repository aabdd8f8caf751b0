// The events table's group commits against Azurite behind the storage meter: concurrent events of
// one hour share transactions, the events of paced sends that come a few ms apart wait for each
// other and go together, and an event somebody waits on (the accept's) never waits for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { hourKey } from '../../src/core/ids';
import { createStorageClients } from '../../src/storage/clients';
import { EventLog } from '../../src/storage/eventLog';
import { useMeteredAzurite } from '../support/meteredAzurite';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const storage = useMeteredAzurite();
let hour = Date.UTC(2026, 6, 1, 9);

function freshHour(): Date {
  hour += 3_600_000;
  return new Date(hour + 60_000);
}

function eventsTable(): TableClient {
  return createStorageClients(storage.settings()).events;
}

function writes(): number {
  const calls = storage.tableCalls();
  return (calls.InsertOrReplaceEntity ?? 0) + (calls.EntityGroupTransaction ?? 0);
}

async function storedCount(table: TableClient, at: Date): Promise<number> {
  const keys: string[] = [];
  for await (const e of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${hourKey(at)}'`, select: ['RowKey'] } })) keys.push(String(e.rowKey));
  return keys.length;
}

const sent = (i: number, at: Date) => queuedRow(`m${i}`, at, { recipientKey: `r${i}@example.net`, status: 'sent', smtpCode: 250 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('concurrent events of one hour share transactions, and each is stored', FILE_TIMEOUT, async () => {
  const table = eventsTable();
  const log = new EventLog(table);
  const at = freshHour();
  storage.reset();
  await Promise.all(Array.from({ length: 12 }, (_, i) => log.record([sent(i, at)], at)));
  assert.ok(writes() <= 2, `writes for 12 concurrent events: ${JSON.stringify(storage.tableCalls())}`);
  assert.equal(await storedCount(table, at), 12);
});

test('the events of paced sends a few ms apart wait for each other and go together', FILE_TIMEOUT, async () => {
  const table = eventsTable();
  // a window far wider than the spacing, so that a slow machine still sees a stream
  const log = new EventLog(table, 1_000);
  const at = freshHour();
  storage.reset();
  await log.record([sent(0, at)], at, true);
  const recorded: Promise<void>[] = [];
  for (let i = 1; i < 6; i++) {
    recorded.push(log.record([sent(i, at)], at, true));
    await pause(5);
  }
  await Promise.all(recorded);
  // the first goes at once (nothing came before it), the five after it in one transaction
  assert.deepEqual(storage.tableCalls(), { InsertOrReplaceEntity: 1, EntityGroupTransaction: 1 });
  assert.equal(await storedCount(table, at), 6);

  // not paced: each goes at once, one by one
  storage.reset();
  for (let i = 6; i < 9; i++) await log.record([sent(i, at)], at);
  assert.deepEqual(storage.tableCalls(), { InsertOrReplaceEntity: 3 });
});

test("an event somebody waits on ends the paced ones' wait at once", FILE_TIMEOUT, async () => {
  const WINDOW = 20_000;
  const log = new EventLog(eventsTable(), WINDOW);
  const at = freshHour();
  await log.record([sent(0, at)], at, true);
  const started = Date.now();
  const paced = log.record([sent(1, at)], at, true);
  await pause(5);
  await log.record([queuedRow('accepted', at, { status: 'suppressed' })], at);
  await paced;
  const waited = Date.now() - started;
  assert.ok(waited < WINDOW / 2, `waited ${waited} ms of a ${WINDOW} ms window`);
});
