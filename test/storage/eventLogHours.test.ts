// The events table read back by hour for the operators' stats, against Azurite behind the storage
// meter: an hour is one query of its own partition (a page per 1,000 events), reading no other hour,
// and an event comes back with the fields the dashboard shows, Japanese text included.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { startStorageMeter, type StorageMeter } from '../../bench/storageMeter';
import { EventLog } from '../../src/storage/eventLog';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let meter: StorageMeter;
let log: EventLog;

const HOUR = new Date('2026-12-01T09:00:00Z');
const at = (minutes: number) => new Date(HOUR.getTime() + minutes * 60_000);

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  meter = await startStorageMeter(azurite);
  const table = TableClient.fromConnectionString(meter.connectionString, 'deliveryevents', { allowInsecureConnection: true });
  await table.createTable();
  log = new EventLog(table);
  const rows = Array.from({ length: 30 }, (_, i) => queuedRow(`m${i}`, HOUR, { recipientKey: `r${i}@example.net`, status: 'sent', smtpCode: 250 }));
  await log.record(rows, at(10));
  await log.record(
    [queuedRow('bounced', HOUR, { status: 'bounced', smtpCode: 550, enhancedCode: '5.1.1', category: 'invalid-recipient', subject: '【重要】ご請求' })],
    at(20),
  );
  // the hours before and after: the query of 09:00 must not read them
  await log.record([queuedRow('before', HOUR, { status: 'deferred' })], at(-1));
  await log.record([queuedRow('after', HOUR, { status: 'deferred' })], at(60));
});
after(async () => {
  await meter?.stop();
  await azurite?.stop();
});

test("an hour is one query of that hour's partition and returns its events only", FILE_TIMEOUT, async () => {
  meter.reset();
  const events = await log.inHour(at(45));
  assert.equal(events.length, 31);
  assert.deepEqual(
    meter.snapshot().map((c) => [c.service, c.operation, c.requests]),
    [['table', 'QueryEntities', 1]],
  );
  assert.ok(!events.some((e) => e.messageId === 'before' || e.messageId === 'after'));
});

test('an event comes back with its outcome, reply, category and subject', FILE_TIMEOUT, async () => {
  const bounced = (await log.inHour(HOUR)).find((e) => e.messageId === 'bounced');
  assert.deepEqual(bounced, {
    messageId: 'bounced',
    recipientKey: 'rcpt@example.net',
    status: 'bounced',
    at: at(20),
    from: 'app@example.com',
    subject: '【重要】ご請求',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    category: 'invalid-recipient',
  });
});

test('an hour with no events costs one empty query', FILE_TIMEOUT, async () => {
  meter.reset();
  assert.deepEqual(await log.inHour(new Date('2026-11-30T09:00:00Z')), []);
  assert.equal(
    meter.snapshot().reduce((n, c) => n + c.requests, 0),
    1,
  );
});
