// The breaker in the delivery steps, against the in-memory ports: a paused sender's recipient is held
// (not sent, not an attempt, the row written once per hold, the same task back after the recheck),
// and released by a resume; each recorded verdict is counted for its sender domain, in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { deliverTask } from '../../src/relay/deliverTask';
import { type DeliveryRow, RowChangedError } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const HELD_BY = 'sender-paused:example.com';

function accepted(changes: Partial<DeliveryRow> = {}, attempt = 1) {
  const relay = new FakeRelay({ RELAY_HOLD_RECHECK_SECONDS: '30', RELAY_RETRY_FIRST_DELAY_SECONDS: '60' }, START);
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, changes));
  const task = newDeliveryTask(id, RECIPIENT, attempt, encodeInlineBody(RAW));
  relay.clock.advance(1000);
  return { relay, id, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

test('held: nothing is sent, the row says what holds it and keeps its status and attempts, the same task comes back', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await relay.senders.pause('example.com', 'hard-bounce rate 12 %');
  relay.calls.length = 0;
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'deliveries.replace', 'events.record', 'queue.enqueue']);
  assert.equal(relay.smartHost.sent.length, 0);
  const held = row();
  assert.equal(held.status, 'queued');
  assert.equal(held.attempts, 0);
  assert.equal(held.heldBy, HELD_BY);
  assert.deepEqual(held.nextAttemptAt, new Date(relay.clock.now().getTime() + 30_000));
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task, t.delaySeconds]),
    [[task, 30]],
  );
  assert.match(log.text(), /held, sender domain example\.com is paused \(hard-bounce rate 12 %\); checking again in 30s/);
  assert.deepEqual(relay.senders.counts.get('example.com'), undefined, 'a hold is no attempt');
});

test('held again: a recheck of a row already held costs one read and the requeue, no row write', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ heldBy: HELD_BY, nextAttemptAt: START });
  await relay.senders.pause('example.com');
  relay.calls.length = 0;
  const before = row();
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-2', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'queue.enqueue']);
  assert.deepEqual(row(), before);
  assert.equal(relay.smartHost.sent.length, 0);
});

test('resumed: the requeued task sends as the attempt it was, heldBy is cleared and the verdict counted', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await relay.senders.pause('example.com');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  await relay.senders.resume('example.com', relay.clock.now());
  relay.clock.advance(30_000);
  const requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  const sent = row();
  assert.equal(sent.status, 'sent');
  assert.equal(sent.attempts, 1);
  assert.equal(sent.heldBy, undefined);
  assert.deepEqual(relay.senders.counts.get('example.com'), { attempts: 1, hardBounces: 0, complaints: 0 });
});

test('a deferred recipient held keeps its status and attempts, and its retry still makes the next attempt after the resume', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ status: 'deferred', attempts: 1, nextAttemptAt: START }, 2);
  await relay.senders.pause('example.com');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'deferred');
  assert.equal(row().attempts, 1);
  assert.equal(row().heldBy, HELD_BY);
  await relay.senders.resume('example.com', relay.clock.now());
  relay.clock.advance(30_000);
  const requeued = relay.queue.tasks.shift()!;
  assert.equal(requeued.task.attempt, 2);
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 2);
});

test("a redelivered task's own claim is undone by the hold, so the requeued task (a new queue message) still sends", FILE_TIMEOUT, async () => {
  const leaseUntil = new Date(START.getTime() + 600_000);
  const { relay, task, log, row } = accepted({ status: 'sending', attempts: 2, leaseOwner: 'q-1', leaseUntil, redeliveries: 1 }, 2);
  await relay.senders.pause('example.com');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 3 });
  assert.equal(relay.smartHost.sent.length, 0);
  const held = row();
  assert.equal(held.status, 'deferred');
  assert.equal(held.attempts, 1);
  assert.equal(held.leaseOwner, undefined);
  assert.equal(held.leaseUntil, undefined);
  assert.equal(held.heldBy, HELD_BY);
  await relay.senders.resume('example.com', relay.clock.now());
  relay.clock.advance(30_000);
  const requeued = relay.queue.tasks.shift()!;
  assert.notEqual(requeued.queueMessageId, 'q-1');
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 2);
});

test('a first attempt claimed and held goes back to queued', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ status: 'sending', attempts: 1, leaseOwner: 'q-1', leaseUntil: new Date(START.getTime() + 600_000) });
  await relay.senders.pause('example.com');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 2 });
  assert.equal(row().status, 'queued');
  assert.equal(row().attempts, 0);
});

test('losing the hold write to another invocation leaves the row to it: no copy of the task is queued', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  await relay.senders.pause('example.com');
  relay.fail('deliveries.replace', new RowChangedError('changed'));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(relay.queue.tasks.length, 0);
  assert.match(log.text(), /warn: .*not held, the row changed meanwhile/);
});

test('released: the first send after a hold claims the row, so two copies of the held task send once', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ heldBy: HELD_BY, nextAttemptAt: START });
  const copies = [
    deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 }),
    deliverTask(relay.deps, task, log, { queueMessageId: 'q-2', dequeueCount: 1 }),
  ];
  await Promise.all(copies);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().heldBy, undefined);
  assert.match(log.text(), /another invocation claimed it first|another invocation is sending it/);
});

test('another sender domain is not held by the pause', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await relay.senders.pause('example.org');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'sent');
});

test('counted: a bounce of category invalid-recipient is an attempt and a hard bounce', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  relay.smartHost.replies = [
    { kind: 'permanent', smtpCode: 550, enhancedCode: '5.1.1', response: '550 5.1.1 User unknown', category: 'invalid-recipient', rule: 'test' },
  ];
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.senders.counts.get('example.com'), { attempts: 1, hardBounces: 1, complaints: 0 });
});

test('counted: a bounce of another category is an attempt only', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  relay.smartHost.replies = [{ kind: 'permanent', smtpCode: 554, enhancedCode: '5.7.1', response: '554 5.7.1 Rejected for policy', category: 'policy' }];
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.senders.counts.get('example.com'), { attempts: 1, hardBounces: 0, complaints: 0 });
});

test('not counted: a deferral, and an outcome the row did not record', FILE_TIMEOUT, async () => {
  const deferred = accepted();
  deferred.relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, enhancedCode: '4.3.0', response: '451 4.3.0 later' }];
  await deliverTask(deferred.relay.deps, deferred.task, deferred.log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(deferred.row().status, 'deferred');
  assert.equal(deferred.relay.senders.counts.size, 0);

  const lost = accepted();
  lost.relay.fail('deliveries.replace', new RowChangedError('changed'));
  await deliverTask(lost.relay.deps, lost.task, lost.log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(lost.relay.smartHost.sent.length, 1);
  assert.equal(lost.relay.senders.counts.size, 0);
});
