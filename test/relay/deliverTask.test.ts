// deliverTask's decisions against the in-memory ports: what it sends, what it writes and in which
// order, and what it leaves for the queue. The call lists pin the hot path's storage cost: a first
// delivery reads its row and writes it once, with no claim write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { DELIVERY_STEPS, deliverTask, runSteps } from '../../src/relay/deliverTask';
import { ACCEPT_GRACE_MS } from '../../src/relay/steps/findRow';
import { planOutcome } from '../../src/relay/steps/planOutcome';
import { type DeliveryState, type DeliveryStep, stop } from '../../src/relay/steps/step';
import { type DeliveryRow, RowChangedError } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow as seededRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');

function queuedRow(messageId: string, at: Date, changes: Partial<DeliveryRow> = {}): DeliveryRow {
  return seededRow(messageId, at, { tags: { k: 'v' }, ...changes });
}

/** A relay with one accepted message: its row, and its first task carrying the body inline. */
function accepted(changes: Partial<DeliveryRow> = {}, settings: Record<string, string> = {}) {
  const relay = new FakeRelay({ RELAY_RETRY_FIRST_DELAY_SECONDS: '60', RELAY_MAX_RETRY_SECONDS: '3600', ...settings }, START);
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, changes));
  const task = newDeliveryTask(id, RECIPIENT, 1, encodeInlineBody(RAW));
  relay.clock.advance(1000);
  return { relay, id, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

test('sent: one read (the row and the suppression list at once), one send, one write and its event; no claim, no blob, no queue', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'smartHost.send', 'deliveries.replace', 'events.record']);
  assert.deepEqual(relay.smartHost.sent, [{ envelope: { from: 'app@example.com', to: 'Rcpt@example.net' }, raw: RAW }]);
  const sent = row();
  assert.equal(sent.status, 'sent');
  assert.equal(sent.attempts, 1);
  assert.equal(sent.smtpCode, 250);
  assert.deepEqual(sent.sentAt, relay.clock.now());
  assert.equal(sent.leaseUntil, undefined);
  assert.deepEqual(
    relay.events.recorded.map((e) => e.row.status),
    ['sent'],
  );
  assert.equal(relay.queue.tasks.length, 0);
  assert.match(log.text(), /sending, attempt 1\n.*: sent: 250 2\.0\.0 OK queued$/);
});

test('deferred: the retry task is queued before the row records the deferral, and carries the body on', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, enhancedCode: '4.3.0', response: '451 4.3.0 try later' }];
  await deliverTask(relay.deps, task, log);
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'smartHost.send', 'queue.enqueue', 'deliveries.replace', 'events.record']);
  const deferred = row();
  assert.equal(deferred.status, 'deferred');
  assert.deepEqual(deferred.nextAttemptAt, new Date(relay.clock.now().getTime() + 60_000));
  assert.equal(relay.queue.tasks.length, 1);
  const retry = relay.queue.tasks[0];
  assert.equal(retry.delaySeconds, 60);
  assert.deepEqual(retry.task, { ...task, v: 2, attempt: 2 });
  assert.match(log.text(), /deferred: 451 4\.3\.0 try later \(next attempt 2026-03-01T10:01:01\.000Z\)/);
});

test('bounced: a permanent refusal ends the recipient, no retry', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.smartHost.replies = [
    { kind: 'permanent', smtpCode: 550, enhancedCode: '5.1.1', response: '550 5.1.1 no such user', category: 'invalid-recipient', rule: 'x-5.1.1' },
  ];
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'bounced');
  assert.equal(row().enhancedCode, '5.1.1');
  assert.equal(row().category, 'invalid-recipient');
  assert.equal(relay.events.recorded[0]?.row.category, 'invalid-recipient');
  assert.equal(relay.queue.tasks.length, 0);
  assert.deepEqual(
    relay.events.recorded.map((e) => e.row.status),
    ['bounced'],
  );
});

test('failed after retries: a deferral past RELAY_MAX_RETRY_SECONDS fails instead of queueing again', FILE_TIMEOUT, async () => {
  const { relay, id, log, row } = accepted({ status: 'deferred', attempts: 4 });
  relay.clock.advance(3600_000 - 30_000); // the next delay (60 s doubled) would end past the hour
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 421, response: '421 busy', category: 'rate-limit' }];
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 5, encodeInlineBody(RAW)), log);
  assert.equal(row().status, 'failed');
  assert.equal(row().category, 'rate-limit', "a failed row keeps the last reply's category");
  assert.match(row().response!, /^421 busy \(retries ran out after 5 attempts \(RELAY_MAX_RETRY_SECONDS=3600\)\)$/);
  assert.equal(relay.queue.tasks.length, 0);
});

test("the category: the reply's on a deferral, other when the reply names none, and none once sent", FILE_TIMEOUT, async () => {
  const { relay, id, task, log, row } = accepted();
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 452, enhancedCode: '4.2.2', response: '452 4.2.2 over quota', category: 'mailbox-full' }];
  await deliverTask(relay.deps, task, log);
  assert.deepEqual([row().status, row().category], ['deferred', 'mailbox-full']);
  relay.clock.advance(61_000);
  relay.smartHost.replies = [{ kind: 'temporary', response: 'no connection came free' }];
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 2, encodeInlineBody(RAW)), log);
  assert.deepEqual([row().status, row().category], ['deferred', 'other']);
  relay.clock.advance(121_000);
  relay.smartHost.replies = [{ kind: 'accepted', smtpCode: 250, response: '250 2.0.0 OK' }];
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 3, encodeInlineBody(RAW)), log);
  assert.deepEqual([row().status, row().category], ['sent', undefined]);
  assert.deepEqual(
    relay.events.recorded.map((e) => [e.row.status, e.row.category]),
    [
      ['deferred', 'mailbox-full'],
      ['deferred', 'other'],
      ['sent', undefined],
    ],
  );
});

test('skip: a final row is left alone, at the cost of one read (and the suppression lookup made beside it)', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted({ status: 'sent', attempts: 1 });
  await deliverTask(relay.deps, task, log);
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get']);
  assert.equal(row().status, 'sent');
  assert.match(log.text(), /skipped, already sent/);
});

test('skip: a duplicate of an attempt already made sends nothing', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted({ status: 'deferred', attempts: 1, nextAttemptAt: new Date(START.getTime() - 1) });
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.match(log.text(), /skipped, attempt 1 was made already/);
});

test('redelivery: the row is claimed under this queue message before the send, and the redelivery counted', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  const claims: DeliveryRow[] = [];
  const replace = relay.deliveries.replace.bind(relay.deliveries);
  relay.deliveries.replace = async (r, etag) => (claims.push(r), replace(r, etag));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-7', dequeueCount: 2 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'deliveries.replace', 'smartHost.send', 'deliveries.replace', 'events.record']);
  const claim = claims[0];
  assert.equal(claim.status, 'sending');
  assert.equal(claim.leaseOwner, 'q-7');
  assert.ok(claim.leaseUntil && claim.leaseUntil > relay.clock.now());
  assert.equal(row().status, 'sent');
  assert.equal(row().redeliveries, 1);
  assert.equal(row().leaseOwner, undefined);
  assert.match(log.text(), /sending, attempt 1 \(the task came back after an invocation that did not finish/);
});

test('redelivery: losing the claim to another invocation sends nothing', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  relay.fail('deliveries.replace', new RowChangedError('changed'));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-7', dequeueCount: 2 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.match(log.text(), /another invocation claimed it first/);
});

test('a v1 task (no attempt number) claims the row and makes the next attempt', FILE_TIMEOUT, async () => {
  const { relay, id, log, row } = accepted({ status: 'deferred', attempts: 2, nextAttemptAt: START });
  relay.bodies.bodies.set(id, RAW);
  await deliverTask(relay.deps, { v: 1, messageId: id, recipient: RECIPIENT }, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, [
    'suppressions.find',
    'deliveries.get',
    'deliveries.replace',
    'bodies.get',
    'smartHost.send',
    'deliveries.replace',
    'events.record',
  ]);
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 3);
});

test('wait: a row another invocation is sending is checked again when its lease ends', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted({ status: 'sending', attempts: 0, leaseOwner: 'q-other', leaseUntil: new Date(START.getTime() + 30_500) });
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 2 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task, t.delaySeconds]),
    [[task, 30]],
  );
  assert.match(log.text(), /not now, another invocation is sending it; checking again in 30s/);
});

test('wait: a deferred row whose next attempt is not due yet', FILE_TIMEOUT, async () => {
  const { relay, id, log } = accepted({ status: 'deferred', attempts: 1, nextAttemptAt: new Date(START.getTime() + 120_000) });
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 2), log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(relay.queue.tasks[0]?.delaySeconds, 119);
});

test('missing row: a row committed a moment after its task surfaced is found by polling', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const id = newMessageId(START);
  const log = new FakeLog();
  setTimeout(() => relay.deliveries.seed(queuedRow(id, START)), 20);
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 1, encodeInlineBody(RAW)), log);
  assert.equal(relay.deliveries.row(id, RECIPIENT)?.status, 'sent');
  assert.ok(relay.calls.filter((c) => c === 'deliveries.get').length >= 2);
});

test('missing row within the accept grace: checked again in 2 s; after it: dropped', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const id = newMessageId(START);
  const task = newDeliveryTask(id, RECIPIENT, 1, encodeInlineBody(RAW));
  const log = new FakeLog();
  await deliverTask(relay.deps, task, log);
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task, t.delaySeconds]),
    [[task, 2]],
  );
  assert.match(log.text(), /no delivery row yet \(accept still in progress\?\); checking again in 2s/);

  relay.clock.advance(ACCEPT_GRACE_MS);
  const later = new FakeLog();
  await deliverTask(relay.deps, task, later);
  assert.equal(relay.queue.tasks.length, 1, 'nothing more queued');
  assert.deepEqual(
    later.lines.map((l) => l.level),
    ['warn'],
  );
  assert.match(later.text(), /dropped, no delivery row exists/);
  assert.equal(relay.smartHost.sent.length, 0);
});

test('body missing: a task without its body and no blob fails the recipient, nothing is sent', FILE_TIMEOUT, async () => {
  const { relay, id, log, row } = accepted();
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 1), log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'failed');
  assert.equal(row().response, 'the message body is missing from storage');
  assert.equal(row().category, 'other');
});

test('body in a blob: read once and sent', FILE_TIMEOUT, async () => {
  const { relay, id, log, row } = accepted();
  relay.bodies.bodies.set(id, RAW);
  await deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 1), log);
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'bodies.get', 'smartHost.send', 'deliveries.replace', 'events.record']);
  assert.equal(row().status, 'sent');
});

test('body unreadable after a claim: the claim is given back and the error left for the queue', FILE_TIMEOUT, async () => {
  const { relay, id, log, row } = accepted();
  const before = row();
  relay.fail('bodies.get');
  await assert.rejects(
    deliverTask(relay.deps, newDeliveryTask(id, RECIPIENT, 1), log, { queueMessageId: 'q-2', dequeueCount: 3 }),
    /injected failure of bodies.get/,
  );
  assert.deepEqual(row(), before);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.match(log.text(), /could not read the message body \(.*\); left for the queue to retry/);
});

test('outcome not recorded when the row changed during the send', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.fail('deliveries.replace', new RowChangedError('changed'));
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'queued');
  assert.equal(relay.events.recorded.length, 0);
  assert.match(log.text(), /sent but the row changed meanwhile \(a duplicate task\?\); outcome not recorded/);
});

test('an event that cannot be written is logged; the row keeps the outcome', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  relay.fail('events.record');
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'sent');
  assert.match(log.lines.at(-1)!.message, /sent recorded, but its event row could not be written/);
  assert.equal(log.lines.at(-1)!.level, 'error');
});

test('the steps, in order: policy checks before the claim, preparation before the send', FILE_TIMEOUT, () => {
  assert.deepEqual(
    DELIVERY_STEPS.map((s) => s.name),
    [
      'look up the suppression list',
      'find the row',
      'decide',
      'end an expired recipient',
      'wait for the delivery hours',
      'check the suppression list',
      'refuse a message too large for its destination',
      'hold a paused sender',
      'choose the route',
      'hold a suspended destination or smart host',
      'hold for the warm-up caps',
      'hold for the send rate',
      'claim',
      'read the body',
      'add the unsubscribe headers',
      'sign with DKIM',
      'take a concurrency lease',
      'send',
      'release the concurrency lease',
      'plan the outcome',
      'schedule the retry',
      'record the outcome',
      'record the event',
      'suppress a bounced address',
      'count the verdict',
      'count the outcome in the metrics',
      'react to the reply',
    ],
  );
});

test('a policy check that stops leaves the row as it is and sends nothing', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted();
  const before = row();
  const suppressed: DeliveryStep = { name: 'suppression', run: () => stop('suppressed by policy') };
  const steps = [...DELIVERY_STEPS.slice(0, 3), suppressed, ...DELIVERY_STEPS.slice(3)];
  await runSteps(steps, { deps: relay.deps, task, delivery: { dequeueCount: 1 }, log, label: 'message m to r' });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get']);
  assert.deepEqual(row(), before);
  assert.deepEqual(log.lines, [{ level: 'log', message: 'message m to r: suppressed by policy' }]);
});

test('planning a deferral writes nothing: the retry is its own step', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  const found = await relay.deliveries.get(task.messageId, RECIPIENT);
  relay.calls.length = 0;
  const state: DeliveryState = {
    deps: relay.deps,
    task,
    delivery: { dequeueCount: 1 },
    log,
    label: 'l',
    held: found,
    attempt: 1,
    raw: RAW,
    finishedAt: relay.clock.now(),
    outcome: { kind: 'temporary' as const, response: '451 later' },
  };
  await planOutcome.run(state);
  assert.equal(state.next?.status, 'deferred');
  assert.deepEqual(relay.calls, []);
  assert.equal(relay.queue.tasks.length, 0);
});

test('a step placed before the step that provides its input fails loudly', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted();
  await assert.rejects(
    runSteps([planOutcome], { deps: relay.deps, task, delivery: { dequeueCount: 1 }, log, label: 'l' }),
    /delivery step order: the held row is not known yet/,
  );
});
