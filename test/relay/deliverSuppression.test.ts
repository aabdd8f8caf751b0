// deliverTask and the suppression list, against the in-memory ports: an address suppressed after its
// accept is not sent, and an invalid-recipient bounce puts the address on the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import type { SuppressionEntry } from '../../src/core/suppression';
import type { SmtpOutcome } from '../../src/core/delivery';
import { deliverTask } from '../../src/relay/deliverTask';
import { type DeliveryRow, RowChangedError } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const USER_UNKNOWN: SmtpOutcome = {
  kind: 'permanent',
  smtpCode: 550,
  enhancedCode: '5.1.1',
  response: '550 5.1.1 user unknown',
  category: 'invalid-recipient',
};

function accepted(changes: Partial<DeliveryRow> = {}, settings: Record<string, string> = {}) {
  const relay = new FakeRelay({ RELAY_RETRY_FIRST_DELAY_SECONDS: '60', ...settings }, START);
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, changes));
  relay.clock.advance(1000);
  const task = newDeliveryTask(id, RECIPIENT, (changes.attempts ?? 0) + 1, encodeInlineBody(RAW));
  return { relay, id, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

function entry(changes: Partial<SuppressionEntry> = {}): SuppressionEntry {
  return { address: RECIPIENT, scope: 'all', reason: 'asked us to stop', source: 'manual', createdAt: START, ...changes };
}

test('suppressed after accept: not sent, the row says why, one event; one lookup beside the row read', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.suppressions.seed(entry({ category: 'complaint', source: 'complaint', reason: 'marked as spam' }));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'deliveries.replace', 'events.record']);
  const suppressed = row();
  assert.equal(suppressed.status, 'suppressed');
  assert.equal(suppressed.category, 'complaint');
  assert.equal(suppressed.attempts, 0);
  assert.equal(suppressed.response, 'not sent: rcpt@example.net is on the suppression list for every sender (source complaint: marked as spam)');
  assert.deepEqual(
    relay.events.recorded.map((e) => e.row.status),
    ['suppressed'],
  );
  assert.match(log.text(), /: suppressed: not sent: rcpt@example\.net is on the suppression list/);
});

test('a retry of a deferred recipient suppressed meanwhile: the row is final, its next attempt cleared', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ status: 'deferred', attempts: 1, smtpCode: 451, response: '451 later', nextAttemptAt: START });
  relay.suppressions.seed(entry());
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'suppressed');
  assert.equal(row().nextAttemptAt, undefined);
  assert.equal(row().smtpCode, undefined);
  assert.equal(relay.queue.tasks.length, 0, 'no further retry queued');
});

test('a task redelivered after its invocation crashed holding the claim: suppressed, the lease cleared', FILE_TIMEOUT, async () => {
  // the same queue message comes back: its row is still claimed by it, under a live lease
  const { relay, task, log, row } = accepted({ status: 'sending', attempts: 1, leaseOwner: 'q-2', leaseUntil: new Date(START.getTime() + 60_000) });
  relay.suppressions.seed(entry());
  await deliverTask(relay.deps, { ...task, attempt: 1 }, log, { queueMessageId: 'q-2', dequeueCount: 2 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'suppressed');
  assert.equal(row().leaseOwner, undefined);
  assert.equal(row().leaseUntil, undefined);
});

test('an entry scoped to another sender domain, or expired, does not stop the send', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.suppressions.seed(entry({ scope: 'example.org', source: 'unsubscribe' }));
  relay.suppressions.seed(entry({ expiresAt: START }));
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
});

test('the lookup fails: nothing sent, the error left for the queue; a skipped task leaves no unhandled rejection', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.fail('suppressions.find');
  await assert.rejects(deliverTask(relay.deps, task, log), /injected failure of suppressions.find/);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'queued');

  const final = accepted({ status: 'sent', attempts: 1 });
  final.relay.fail('suppressions.find');
  await deliverTask(final.relay.deps, { ...final.task, attempt: 1 }, final.log);
  assert.match(final.log.text(), /skipped, already sent/);
});

test('the row changed while suppressing: nothing recorded, nothing sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.suppressions.seed(entry());
  relay.fail('deliveries.replace', new RowChangedError('changed'));
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'queued');
  assert.equal(relay.events.recorded.length, 0);
  assert.match(log.text(), /suppressed, but the row changed meanwhile/);
});

test('an invalid-recipient bounce adds the address for every sender, with the expiry setting', FILE_TIMEOUT, async () => {
  const { relay, id, task, log, row } = accepted({}, { RELAY_SUPPRESSION_DAYS: '7' });
  relay.smartHost.replies = [USER_UNKNOWN];
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'bounced');
  const [added] = await relay.suppressions.find(RECIPIENT);
  assert.deepEqual(added, {
    address: RECIPIENT,
    scope: 'all',
    reason: '550 5.1.1 user unknown',
    category: 'invalid-recipient',
    source: 'bounce',
    createdAt: relay.clock.now(),
    expiresAt: new Date(relay.clock.now().getTime() + 7 * 86_400_000),
    messageId: id,
  });
  assert.match(log.text(), /added to the suppression list \(bounce, invalid-recipient\)/);

  // the next message to the address is not sent
  const next = newMessageId(relay.clock.now());
  relay.deliveries.seed({ ...row(), messageId: next, status: 'queued', attempts: 0, response: undefined });
  await deliverTask(relay.deps, newDeliveryTask(next, RECIPIENT, 1, encodeInlineBody(RAW)), log);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(relay.deliveries.row(next, RECIPIENT)?.status, 'suppressed');
});

test('policy, reputation and rate-limit refusals, and uncategorised bounces, add nothing', FILE_TIMEOUT, async () => {
  for (const category of ['policy', 'reputation', 'rate-limit', undefined] as const) {
    const { relay, task, log, row } = accepted();
    relay.smartHost.replies = [{ kind: 'permanent', smtpCode: 550, enhancedCode: '5.7.1', response: '550 5.7.1 refused', ...(category ? { category } : {}) }];
    await deliverTask(relay.deps, task, log);
    assert.equal(row().status, 'bounced', String(category));
    assert.equal(relay.suppressions.entries.size, 0, String(category));
    assert.ok(!relay.calls.includes('suppressions.put'), String(category));
  }
});

test('a sent or deferred outcome costs no suppression write', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, response: '451 later', category: 'rate-limit' }];
  await deliverTask(relay.deps, task, log);
  assert.deepEqual(
    relay.calls.filter((c) => c.startsWith('suppressions.')),
    ['suppressions.find'],
  );
});

test('a suppression list that cannot be written after a bounce is logged; the bounce stays recorded', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.smartHost.replies = [USER_UNKNOWN];
  relay.fail('suppressions.put');
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'bounced');
  assert.match(log.text(), /error: .*invalid-recipient, but the suppression list could not be updated/);
});

test('the list unchanged since the accept looked the address up: no second lookup, sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  // an entry for someone else, written a minute before the accept's lookup
  relay.suppressions.lastChange = new Date(START.getTime() - 60_000);
  const looked = { ...task, suppressionsReadAt: START.toISOString() };
  await deliverTask(relay.deps, looked, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.changedSince', 'deliveries.get', 'smartHost.send', 'deliveries.replace', 'events.record']);
  assert.equal(row().status, 'sent');
});

test('an entry added after the accept looked the address up: looked up again, not sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  const looked = { ...task, suppressionsReadAt: START.toISOString() };
  relay.suppressions.seed(entry({ source: 'bounce', reason: '550 5.1.1 user unknown', category: 'invalid-recipient' }));
  await deliverTask(relay.deps, looked, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  // the marker first, then the query, both while the row is read
  assert.deepEqual(relay.calls.slice(0, 3).sort(), ['deliveries.get', 'suppressions.changedSince', 'suppressions.find']);
  assert.deepEqual(relay.calls.slice(3), ['deliveries.replace', 'events.record']);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'suppressed');
});

test('a change just before the lookup, within the clock margin, counts as after it: looked up again', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.suppressions.seed(entry());
  // the accept's clock may run ahead of the storage service's: a change 1 s "before" may be after
  relay.suppressions.lastChange = new Date(START.getTime() - 1_000);
  await deliverTask(relay.deps, { ...task, suppressionsReadAt: START.toISOString() }, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.ok(relay.calls.includes('suppressions.find'));
  assert.equal(row().status, 'suppressed');
});

test('no lookup time, or one that is not a time: the address is looked up as before', FILE_TIMEOUT, async () => {
  for (const readAt of [undefined, 'yesterday']) {
    const { relay, task, log, row } = accepted();
    relay.suppressions.seed(entry());
    relay.suppressions.lastChange = new Date(START.getTime() - 86_400_000);
    await deliverTask(relay.deps, { ...task, ...(readAt === undefined ? {} : { suppressionsReadAt: readAt }) }, log, {
      queueMessageId: 'q-1',
      dequeueCount: 1,
    });
    assert.deepEqual(relay.calls.slice(0, 2), ['suppressions.find', 'deliveries.get'], String(readAt));
    assert.equal(row().status, 'suppressed', String(readAt));
  }
});

test('the change marker cannot be read: the task is left to the queue, nothing sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.fail('suppressions.changedSince');
  await assert.rejects(
    deliverTask(relay.deps, { ...task, suppressionsReadAt: START.toISOString() }, log, { queueMessageId: 'q-1', dequeueCount: 1 }),
    /injected failure of suppressions.changedSince/,
  );
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'queued');
});
