// Suspensions in the delivery steps, against the in-memory ports: a recipient of a suspended
// destination, or any recipient while the default smart host is suspended, is held (not sent, not an
// attempt, heldBy naming the suspension), looks again every RELAY_HOLD_RECHECK_SECONDS or at the
// suspension's end if sooner, and is sent once the suspension is lifted or over. A slow-down holds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import type { SuspendableKind } from '../../src/core/policy/types';
import { deliverTask } from '../../src/relay/deliverTask';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { reactionPolicy } from '../support/reactionPolicy';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: a@yahoo.co.jp\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const RECHECK_SECONDS = 30;

function accepted(recipient = 'a@yahoo.co.jp', changes: Partial<DeliveryRow> = {}, attempt = 1) {
  const relay = new FakeRelay({ RELAY_HOLD_RECHECK_SECONDS: String(RECHECK_SECONDS) }, START);
  relay.config.policy = reactionPolicy();
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, { recipientKey: recipient, address: recipient, ...changes }));
  const task = newDeliveryTask(id, recipient, attempt, encodeInlineBody(RAW));
  relay.clock.advance(1000);
  return { relay, task, log: new FakeLog(), row: () => relay.deliveries.row(id, recipient)! };
}

async function suspend(relay: FakeRelay, kind: SuspendableKind, name: string, seconds: number, rateFactor?: number) {
  const now = relay.clock.now();
  const until = new Date(now.getTime() + seconds * 1000);
  await relay.suspensions.put({ kind, name, reason: 'a test', source: 'manual', createdAt: now, until, ...(rateFactor ? { rateFactor } : {}) });
  return until;
}

test(
  "a suspended destination's recipient is held: not sent, status and attempts kept, heldBy names it, the task back after the recheck",
  FILE_TIMEOUT,
  async () => {
    const { relay, task, log, row } = accepted();
    await suspend(relay, 'destination', 'yahoo-jp', 3600);
    relay.calls.length = 0;
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
    assert.deepEqual(
      relay.calls,
      ['suppressions.find', 'deliveries.get', 'deliveries.replace', 'events.record', 'queue.enqueue'],
      'the suspension is read from the cache',
    );
    assert.equal(relay.smartHost.sent.length, 0);
    const held = row();
    assert.equal(held.status, 'queued');
    assert.equal(held.attempts, 0);
    assert.equal(held.heldBy, 'suspended:destination:yahoo-jp');
    assert.deepEqual(held.nextAttemptAt, new Date(relay.clock.now().getTime() + RECHECK_SECONDS * 1000), 'nextAttemptAt is the next look');
    assert.deepEqual(
      relay.queue.tasks.map((t) => [t.task, t.delaySeconds]),
      [[task, RECHECK_SECONDS]],
    );
    assert.match(log.text(), /held, destination yahoo-jp is suspended until 2026-03-01T11:00:01\.000Z \(a test\); checking again in 30s/);
  },
);

test('the default smart host suspended: every recipient is held, with or without a destination', FILE_TIMEOUT, async () => {
  for (const recipient of ['a@yahoo.co.jp', 'b@example.net']) {
    const { relay, task, log, row } = accepted(recipient);
    await suspend(relay, 'smartHost', 'default', 600);
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
    assert.equal(relay.smartHost.sent.length, 0, recipient);
    assert.equal(row().heldBy, 'suspended:smartHost:default', recipient);
  }
});

test('both suspended: heldBy names the one that ends last', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await suspend(relay, 'smartHost', 'default', 600);
  await suspend(relay, 'destination', 'yahoo-jp', 3600);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().heldBy, 'suspended:destination:yahoo-jp');
});

test('a suspension ending before the recheck: the task comes back at its end', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  await suspend(relay, 'destination', 'yahoo-jp', 10);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(
    relay.queue.tasks.map((t) => t.delaySeconds),
    [10],
  );
});

test('lifted: the held recipient comes back at its next look and is sent as the attempt it was', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await suspend(relay, 'destination', 'yahoo-jp', 3600);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  // still suspended at the first look: held again, no row write
  relay.clock.advance(RECHECK_SECONDS * 1000);
  let requeued = relay.queue.tasks.shift()!;
  const before = row();
  relay.calls.length = 0;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'queue.enqueue']);
  assert.deepEqual(row(), before);
  assert.equal(await relay.suspensions.lift('destination', 'yahoo-jp'), true);
  relay.clock.advance(RECHECK_SECONDS * 1000);
  requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 1);
  assert.equal(row().heldBy, undefined);
});

test('a deferred recipient held keeps its retry: after the lift it makes its next attempt', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted('a@yahoo.co.jp', { status: 'deferred', attempts: 1, nextAttemptAt: START }, 2);
  await suspend(relay, 'destination', 'yahoo-jp', 3600);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'deferred');
  assert.equal(row().heldBy, 'suspended:destination:yahoo-jp');
  await relay.suspensions.lift('destination', 'yahoo-jp');
  relay.clock.advance(RECHECK_SECONDS * 1000);
  const requeued = relay.queue.tasks.shift()!;
  assert.equal(requeued.task.attempt, 2);
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 2);
});

test('over: a suspension that has ended holds nothing', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await suspend(relay, 'destination', 'yahoo-jp', 5);
  relay.clock.advance(5000);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'sent');
});

test('not held: a slow-down, another destination, a domain no destination covers', FILE_TIMEOUT, async () => {
  const cases: [string, string, SuspendableKind, string, number | undefined][] = [
    ['a slow-down of its destination', 'a@yahoo.co.jp', 'destination', 'yahoo-jp', 0.5],
    ['a slow-down of the smart host', 'a@yahoo.co.jp', 'smartHost', 'default', 0.25],
    ['another destination suspended', 'a@gmail.com', 'destination', 'yahoo-jp', undefined],
    ['no destination covers it', 'a@example.net', 'destination', 'yahoo-jp', undefined],
  ];
  for (const [what, recipient, kind, name, rateFactor] of cases) {
    const { relay, task, log, row } = accepted(recipient);
    await suspend(relay, kind, name, 3600, rateFactor);
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
    assert.equal(row().status, 'sent', what);
    assert.equal(row().heldBy, undefined, what);
  }
});

test('the suspensions cannot be read: the task is left to the queue, nothing sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.fail('suspensions.activeFor', new Error('ECONNREFUSED (a test)'));
  await assert.rejects(deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 }), /ECONNREFUSED/);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'queued');
});

test('no suspension in force: a send with the policy and its reactions costs the same storage calls as one without', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.calls.length = 0;
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'sent');
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'smartHost.send', 'deliveries.replace', 'events.record']);
});
