// A recipient's lifetime while it waits, against the in-memory ports and an injected clock: a hold
// that would end after it (an hours opening, a rate slot, a warm-up window) ends the recipient now as
// failed `expired`, recorded like any outcome (row, event, nothing sent, no suppression, no breaker
// count); a task that comes after it is not sent; and a destination's short lifetime ends retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { EMPTY_POLICY, type Destination } from '../../src/core/policy/types';
import { deliverTask, DELIVERY_STEPS, runSteps } from '../../src/relay/deliverTask';
import { holdUntil } from '../../src/relay/policies/hold';
import type { DeliveryRow } from '../../src/relay/ports';
import type { DeliveryStep } from '../../src/relay/steps/step';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const QUEUED = new Date('2026-03-01T10:00:00Z'); // 19:00 in Tokyo
const DOCOMO: Destination = {
  name: 'jp-docomo',
  domains: ['example.net'],
  rate: [],
  hours: { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' },
  lifetimeSeconds: 4 * 3600,
};

function accepted(now: Date, destination: Destination = DOCOMO, changes: Partial<DeliveryRow> = {}, attempt = 1, settings: Record<string, string> = {}) {
  const relay = new FakeRelay({ RELAY_RETRY_FIRST_DELAY_SECONDS: '600', ...settings }, now);
  relay.config.policy = { ...EMPTY_POLICY, destinations: [destination] };
  const id = newMessageId(QUEUED);
  relay.deliveries.seed(queuedRow(id, QUEUED, changes));
  const task = newDeliveryTask(id, RECIPIENT, attempt, encodeInlineBody(RAW));
  return { relay, id, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

function assertExpired(relay: FakeRelay, row: DeliveryRow, heldBy: string, endedAt: string) {
  assert.equal(relay.smartHost.sent.length, 0, 'nothing sent');
  assert.equal(row.status, 'failed');
  assert.equal(row.category, 'expired');
  assert.equal(row.heldBy, undefined);
  assert.equal(row.nextAttemptAt, undefined);
  assert.ok(row.response?.includes(`held by ${heldBy}`), row.response);
  assert.ok(row.response?.includes(`its lifetime ended at ${endedAt}`), row.response);
  assert.deepEqual(
    relay.events.recorded.map((e) => [e.row.status, e.row.category]),
    [['failed', 'expired']],
    'one event row',
  );
  assert.equal(relay.queue.tasks.length, 0, 'no task queued again');
  assert.equal(relay.suppressions.entries.size, 0, 'no suppression');
  assert.equal(relay.senders.counts.size, 0, 'no count for the breaker');
}

test('the hours open after the lifetime ends: failed expired now, nothing sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T12:30:00Z')); // 21:30 in Tokyo; ends 14:00Z
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assertExpired(relay, row(), 'hours:destination:jp-docomo', '2026-03-01T14:00:00.000Z');
  assert.match(row().response!, /the lifetime of destination jp-docomo \(14400s\)/);
  assert.equal(row().attempts, 0);
  assert.match(log.text(), /failed: held by hours:destination:jp-docomo; not sent/);
});

test('the hours open before the lifetime ends: held, not failed', FILE_TIMEOUT, async () => {
  const long = { ...DOCOMO, lifetimeSeconds: 24 * 3600 };
  const { relay, task, log, row } = accepted(new Date('2026-03-01T12:30:00Z'), long);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'queued');
  assert.equal(row().heldBy, 'hours:destination:jp-docomo');
});

test('without its own lifetime a destination uses RELAY_MAX_RETRY_SECONDS', FILE_TIMEOUT, async () => {
  const { lifetimeSeconds, ...noLifetime } = DOCOMO;
  void lifetimeSeconds;
  const { relay, task, log, row } = accepted(new Date('2026-03-01T12:30:00Z'), noLifetime, {}, 1, { RELAY_MAX_RETRY_SECONDS: '10800' });
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assertExpired(relay, row(), 'hours:destination:jp-docomo', '2026-03-01T13:00:00.000Z');
  assert.match(row().response!, /RELAY_MAX_RETRY_SECONDS=10800/);
});

test('a rate slot beyond the lifetime: failed expired, the slot not carried anywhere', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T11:00:00Z'), { ...DOCOMO, hours: undefined });
  // stands for the rate step (the throttle branch's): its slot comes a second after the lifetime ends
  const slotAt = new Date('2026-03-01T14:00:01Z');
  const rate: DeliveryStep = { name: 'rate', run: (state) => holdUntil(state, { heldBy: 'rate:destination:jp-docomo', until: slotAt, why: 'rate', slotAt }) };
  const at = DELIVERY_STEPS.findIndex((s) => s.name === 'hold for the warm-up caps') + 1;
  const steps = [...DELIVERY_STEPS.slice(0, at), rate, ...DELIVERY_STEPS.slice(at)];
  await runSteps(steps, { deps: relay.deps, task, delivery: { queueMessageId: 'q-1', dequeueCount: 1 }, log, label: 'one' });
  assertExpired(relay, row(), 'rate:destination:jp-docomo', '2026-03-01T14:00:00.000Z');
});

test('a warm-up window beyond the lifetime: failed expired', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:30:00Z'), { ...DOCOMO, hours: undefined, lifetimeSeconds: 4 * 3600 - 60 });
  relay.config.policy = {
    ...relay.config.policy,
    warmup: [{ kind: 'sender', name: 'example.com', startsAt: new Date('2026-03-01T00:00:00Z'), steps: [{ day: 0, perHour: 1 }] }],
  };
  relay.throttles.windowCounts.set('warmup:sender:example.com|3600|2026-03-01T13:00:00.000Z', 1);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assertExpired(relay, row(), 'warmup:sender:example.com', '2026-03-01T13:59:00.000Z');
});

test("a paused sender's recipient whose next look comes after its lifetime is ended too", FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:59:30Z'), { ...DOCOMO, hours: undefined }, {}, 1, { RELAY_HOLD_RECHECK_SECONDS: '60' });
  await relay.senders.pause('example.com', 'by hand');
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assertExpired(relay, row(), 'sender-paused:example.com', '2026-03-01T14:00:00.000Z');
});

test('a task that comes after the lifetime ended (and its grace for a late queue) is failed expired without a send', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T14:01:01Z'), { ...DOCOMO, hours: undefined });
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'failed');
  assert.equal(row().category, 'expired');
  assert.match(row().response!, /^not sent: its lifetime ended at 2026-03-01T14:00:00\.000Z/);
  assert.equal(relay.events.recorded.length, 1);
  assert.deepEqual(relay.throttles.counted, []);
});

test('a retry the queue hands out a few seconds after the lifetime ended still makes its attempt', FILE_TIMEOUT, async () => {
  const due = new Date('2026-03-01T13:59:58Z');
  const { relay, task, log, row } = accepted(
    new Date('2026-03-01T14:00:30Z'),
    { ...DOCOMO, hours: undefined },
    { status: 'deferred', attempts: 1, nextAttemptAt: due },
    2,
  );
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
});

test('a deferred recipient expired while held keeps its attempts and says what held it', FILE_TIMEOUT, async () => {
  const now = new Date('2026-03-01T12:30:00Z');
  const { relay, task, log, row } = accepted(now, DOCOMO, { status: 'deferred', attempts: 1, nextAttemptAt: now, smtpCode: 451, response: '451 later' }, 2);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assertExpired(relay, row(), 'hours:destination:jp-docomo', '2026-03-01T14:00:00.000Z');
  assert.equal(row().attempts, 1, 'holding is no attempt');
  assert.equal(row().smtpCode, undefined);
});

test("a destination's short lifetime ends retries: the reply's category is kept, the response names the lifetime", FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:55:00Z'), { ...DOCOMO, hours: undefined });
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 421, enhancedCode: '4.7.0', response: '421 4.7.0 slow down', category: 'rate-limit' }];
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1, 'one attempt');
  assert.equal(row().status, 'failed');
  assert.equal(row().category, 'rate-limit');
  assert.equal(row().attempts, 1);
  assert.match(row().response!, /retries ran out after 1 attempts \(the lifetime of destination jp-docomo \(14400s\)\)/);
  assert.equal(relay.queue.tasks.length, 0);
});

test('a retry within the lifetime is scheduled, without the slot or the warm-up count of the attempt before', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T11:00:00Z'), { ...DOCOMO, hours: undefined });
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, enhancedCode: '4.3.0', response: '451 4.3.0 later' }];
  const withSlot = { ...task, slotAt: '2026-03-01T11:00:00.000Z', countedAt: '2026-03-01T11:00:00.000Z' };
  await deliverTask(relay.deps, withSlot, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'deferred');
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task.attempt, t.task.slotAt, t.task.countedAt, t.delaySeconds]),
    [[2, undefined, undefined, 600]],
  );
});
