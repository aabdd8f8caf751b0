// The storage adapters behind upstream events, against Azurite: applied event ids (insert-if-absent
// in the idempotency table, apart from Idempotency-Key reservations) and finding a `sent` event by
// the upstream's id, hour partition by hour partition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { newMessageId } from '../../src/core/ids';
import { AppliedEventStore } from '../../src/storage/appliedEventStore';
import { EventLog } from '../../src/storage/eventLog';
import { IdempotencyStore } from '../../src/storage/idempotencyStore';
import type { DeliveryRow } from '../../src/relay/ports';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let idempotency: TableClient;
let events: TableClient;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  const table = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
  idempotency = table('idempotency');
  events = table('deliveryevents');
  await Promise.all([idempotency.createTable(), events.createTable()]);
});
after(async () => {
  await azurite?.stop();
});

test('an event id is new once per source; forgetting it makes it new again', FILE_TIMEOUT, async () => {
  const applied = new AppliedEventStore(idempotency);
  const at = new Date();
  assert.equal(await applied.firstTime('sendgrid', 'ZXZlbnQ=', at), true);
  assert.equal(await applied.firstTime('sendgrid', 'ZXZlbnQ=', at), false);
  assert.equal(await applied.firstTime('acs', 'ZXZlbnQ=', at), true, 'another source, another event');
  await applied.forget('sendgrid', 'ZXZlbnQ=');
  assert.equal(await applied.firstTime('sendgrid', 'ZXZlbnQ=', at), true);
  await applied.forget('dsn', 'never-recorded'); // forgetting what is not there is no error
  // An Idempotency-Key equal to the event id is a reservation of its own.
  const reservation = { bodyHash: 'h', messageId: newMessageId(), createdAt: at, answer: '{}' };
  assert.deepEqual(await new IdempotencyStore(idempotency).reserve('ZXZlbnQ=', reservation), { reserved: true });
});

function sentRow(messageId: string, recipientKey: string, upstreamId: string | undefined, status: DeliveryRow['status'] = 'sent'): DeliveryRow {
  const at = new Date();
  return {
    messageId,
    recipientKey,
    address: recipientKey,
    status,
    attempts: 1,
    upstreamId,
    from: 'a@example.jp',
    subject: 's',
    tags: {},
    queuedAt: at,
    updatedAt: at,
  };
}

test("finds the sent event of an upstream's id within the hours asked, and nothing else", FILE_TIMEOUT, async () => {
  const log = new EventLog(events);
  const now = new Date('2026-03-04T12:30:00.000Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const wanted = newMessageId(hoursAgo(2));
  await log.record([sentRow(wanted, 'a@example.net', "Q'1")], hoursAgo(2));
  await log.record([sentRow(wanted, 'a@example.net', "Q'1", 'bounced')], hoursAgo(1)); // not a sent event
  await log.record([sentRow(newMessageId(), 'b@example.net', 'Q2')], hoursAgo(2)); // another id
  const old = newMessageId(hoursAgo(80));
  await log.record([sentRow(old, 'c@example.net', 'Q3')], hoursAgo(80)); // beyond 72 hours
  assert.deepEqual(
    (await log.findSent("Q'1", now, 72)).map((s) => [s.messageId, s.recipientKey]),
    [[wanted, 'a@example.net']],
  );
  assert.deepEqual(await log.findSent("Q'1", now, 2), [], 'two hours back covers this hour and the one before only');
  assert.deepEqual(await log.findSent('Q3', now, 72), []);
  assert.equal((await log.findSent('Q3', now, 81)).length, 1);
  assert.deepEqual(await log.findSent('nothing', now, 3), []);
});
