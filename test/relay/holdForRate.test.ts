// The shared limits in the delivery steps, against the in-memory ports: a recipient under a rate is
// held with its reserved slot and sends at it without reserving again; a slow-down slows the rate;
// a busy concurrency place holds it briefly, keeping the slot; a lease is given back after the send;
// and a recipient no rule covers costs no call at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryAttemptBoundMs } from '../../src/config';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask, type DeliveryTask } from '../../src/core/deliveryTask';
import type { DeliveryPolicy, Destination, RateWindow, SmartHostLimits } from '../../src/core/policy/types';
import { EMPTY_POLICY } from '../../src/core/policy/types';
import { deliverTask } from '../../src/relay/deliverTask';
import { HOLD_LEAD_MS } from '../../src/relay/policies/holdForRate';
import { BUSY_RECHECK_MS } from '../../src/relay/policies/takeLease';
import type { DeliveryRow, ThrottleLimit } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const PER_MIN: RateWindow = { count: 40, seconds: 60, text: '40/min' };
const DEST_KEY = 'destination:example-net';

function policyWith(destination: Partial<Destination> | undefined, smartHost?: Partial<SmartHostLimits>): DeliveryPolicy {
  const destinations: Destination[] = destination ? [{ name: 'example-net', domains: ['example.net'], rate: [PER_MIN], ...destination }] : [];
  const smartHosts = new Map<string, SmartHostLimits>(smartHost ? [['default', { name: 'default', rate: [], ...smartHost }]] : []);
  return { ...EMPTY_POLICY, destinations, smartHosts, source: 'test' };
}

function accepted(policy: DeliveryPolicy, changes: Partial<DeliveryRow> = {}) {
  const relay = new FakeRelay({}, START);
  relay.config.policy = policy;
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, changes));
  const task = newDeliveryTask(id, RECIPIENT, 1, encodeInlineBody(RAW));
  relay.clock.advance(1000);
  const reserved: (readonly ThrottleLimit[])[] = [];
  const reserve = relay.throttles.reserve.bind(relay.throttles);
  relay.throttles.reserve = (limits, now) => {
    reserved.push(limits);
    return reserve(limits, now);
  };
  return { relay, id, task, reserved, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

async function deliver(relay: FakeRelay, task: DeliveryTask, log: FakeLog, queueMessageId = 'q-1', dequeueCount = 1) {
  await deliverTask(relay.deps, task, log, { queueMessageId, dequeueCount });
}

test('a recipient no rule covers costs nothing extra: the same calls as without a policy', FILE_TIMEOUT, async () => {
  const baseline = accepted(EMPTY_POLICY);
  await deliver(baseline.relay, baseline.task, baseline.log);
  const other = accepted(policyWith({ domains: ['docomo.ne.jp'], concurrency: 1 }));
  await deliver(other.relay, other.task, other.log);
  assert.deepEqual(other.relay.calls, baseline.relay.calls);
  assert.ok(!other.relay.calls.some((c) => c.startsWith('throttles.') || c.startsWith('suspensions.')), other.relay.calls.join());
  assert.equal(other.relay.smartHost.sent.length, 1);
});

test('a slot due now: one reservation under the destination and the smart host together, then the send', FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved, row } = accepted(policyWith({}, { rate: [{ count: 30, seconds: 60, text: '30/min' }] }));
  await deliver(relay, task, log);
  assert.deepEqual(
    reserved.map((limits) => limits.map((l) => l.key)),
    [[DEST_KEY, 'smartHost:default']],
  );
  assert.deepEqual(reserved[0][0].windows, [PER_MIN]);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(relay.queue.tasks.length, 0);
});

test('a later slot holds the recipient: heldBy names the rate, the task comes back before its slot carrying it', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(policyWith({}));
  const slot = new Date(relay.clock.now().getTime() + 60_000);
  relay.throttles.slots.set(DEST_KEY, slot);
  await deliver(relay, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  const held = row();
  assert.equal(held.status, 'queued');
  assert.equal(held.attempts, 0, 'a hold is no attempt');
  assert.equal(held.heldBy, `rate:${DEST_KEY}`);
  assert.deepEqual(held.nextAttemptAt, new Date(slot.getTime() - HOLD_LEAD_MS));
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task.slotAt, t.delaySeconds]),
    [[slot.toISOString(), (60_000 - HOLD_LEAD_MS) / 1000]],
  );
  assert.match(log.text(), /held, its slot under destination:example-net 40\/min is at/);
});

test('back at its slot: it sends without a second reservation, and the row is no longer held', FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved, row } = accepted(policyWith({}));
  const slot = new Date(relay.clock.now().getTime() + 60_000);
  relay.throttles.slots.set(DEST_KEY, slot);
  await deliver(relay, task, log);
  relay.clock.current = slot;
  const requeued = relay.queue.tasks.shift()!;
  await deliver(relay, requeued.task, log, requeued.queueMessageId);
  assert.equal(reserved.length, 1, 'reserved once, when it was held');
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().heldBy, undefined);
});

test('back well after its slot: it reserves again rather than send late into the next slots', FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved } = accepted(policyWith({}));
  const slot = relay.clock.now().getTime() - 5000;
  await deliver(relay, { ...task, slotAt: new Date(slot).toISOString() }, log);
  assert.equal(reserved.length, 1);
  assert.equal(relay.smartHost.sent.length, 1);
});

test('a slow-down in force slows the rate it reserves under by its factor', FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved } = accepted(policyWith({}));
  const now = relay.clock.now();
  await relay.suspensions.put({
    kind: 'destination',
    name: 'example-net',
    reason: 'rate warning',
    source: 'reaction',
    rateFactor: 0.5,
    createdAt: now,
    until: new Date(now.getTime() + 3600_000),
  });
  await deliver(relay, task, log);
  assert.equal(reserved[0][0].windows[0].count, 20);
});

test('concurrency: a lease is taken just before the send and given back just after it', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted(policyWith({ rate: [], concurrency: 1 }));
  await deliver(relay, task, log);
  const calls = relay.calls.filter((c) => c.startsWith('throttles.') || c === 'smartHost.send');
  assert.deepEqual(calls, ['throttles.acquire', 'smartHost.send', 'throttles.release']);
  assert.deepEqual(relay.throttles.leases.get(DEST_KEY), []);
});

test('concurrency busy: held briefly, not sent, the slot kept, and nothing of it left in flight', FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved, row } = accepted(policyWith({ concurrency: 1 }));
  const now = relay.clock.now();
  // taken a moment ago by a live sender
  const until = new Date(now.getTime() + deliveryAttemptBoundMs(relay.config.smartHost) - 200);
  relay.throttles.leases.set(DEST_KEY, [{ key: DEST_KEY, place: 0, owner: 'another', until }]);
  await deliver(relay, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().heldBy, `concurrency:${DEST_KEY}`);
  assert.equal(reserved.length, 1);
  const [requeued] = relay.queue.tasks;
  assert.equal(requeued.task.slotAt, now.toISOString(), 'it keeps its slot');
  assert.equal(requeued.delaySeconds, Math.ceil(BUSY_RECHECK_MS / 1000));
  assert.equal(relay.throttles.leases.get(DEST_KEY)!.length, 1, 'only the other lease');
});

test('concurrency busy after a claim (a redelivered task): the claim is undone, so the task comes back to send', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(policyWith({ rate: [], concurrency: 1 }));
  const now = relay.clock.now();
  relay.throttles.leases.set(DEST_KEY, [{ key: DEST_KEY, place: 0, owner: 'another', until: new Date(now.getTime() + 40_000) }]);
  await deliver(relay, task, log, 'q-1', 2);
  const held = row();
  assert.equal(held.status, 'queued');
  assert.equal(held.attempts, 0);
  assert.equal(held.leaseOwner, undefined);
  relay.throttles.leases.set(DEST_KEY, []);
  const requeued = relay.queue.tasks.shift()!;
  await deliver(relay, requeued.task, log, requeued.queueMessageId);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
});

test('a lease that looks abandoned (taken long ago) is waited for until it expires, not polled', FILE_TIMEOUT, async () => {
  const { relay, task, log } = accepted(policyWith({ rate: [], concurrency: 1 }));
  const now = relay.clock.now();
  relay.throttles.leases.set(DEST_KEY, [{ key: DEST_KEY, place: 0, owner: 'dead', until: new Date(now.getTime() + 5000) }]);
  await deliver(relay, task, log);
  assert.equal(relay.queue.tasks[0].delaySeconds, 5);
  assert.match(log.text(), /looks abandoned/);
});

test('the reservation failing leaves the task to the queue: nothing sent, nothing held', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(policyWith({}));
  relay.faults.fail('throttles.reserve', new Error('storage down'));
  await assert.rejects(deliver(relay, task, log), /storage down/);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().heldBy, undefined);
});

test("the smart host's own rate holds a recipient no destination covers, named rate:smartHost:default", FILE_TIMEOUT, async () => {
  const { relay, task, log, reserved, row } = accepted(policyWith(undefined, { rate: [{ count: 30, seconds: 60, text: '30/min' }] }));
  relay.throttles.slots.set('smartHost:default', new Date(relay.clock.now().getTime() + 30_000));
  await deliver(relay, task, log);
  assert.deepEqual(
    reserved.map((limits) => limits.map((l) => l.key)),
    [['smartHost:default']],
  );
  assert.equal(row().heldBy, 'rate:smartHost:default');
  assert.equal(relay.smartHost.sent.length, 0);
});
