// Warm-up caps in the delivery steps, against the in-memory ports and an injected clock: each send
// of a sender domain (or through the default smart host) on its ramp is counted in fixed UTC windows
// shared by every instance (FakeThrottles.reserveInWindows); over the cap the recipient is held to
// the next window, counted there once, and sent then; after the ramp nothing is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { EMPTY_POLICY, type WarmupPlan } from '../../src/core/policy/types';
import { deliverTask, DELIVERY_STEPS, runSteps } from '../../src/relay/deliverTask';
import { holdUntil } from '../../src/relay/policies/hold';
import { holdForWarmup } from '../../src/relay/policies/holdForWarmup';
import type { DeliveryStep } from '../../src/relay/steps/step';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T00:00:00Z');
const SENDER_PLAN: WarmupPlan = {
  kind: 'sender',
  name: 'example.com',
  startsAt: START,
  steps: [
    { day: 0, perHour: 2 },
    { day: 1, perHour: 3 },
    { day: 2, perDay: 4 },
  ],
};

function relayAt(now: Date, plans: WarmupPlan[] = [SENDER_PLAN]) {
  const relay = new FakeRelay({}, now);
  relay.config.policy = { ...EMPTY_POLICY, warmup: plans };
  return { relay, log: new FakeLog() };
}

/** One message to `recipient`, accepted now; its first task. */
function accept(relay: FakeRelay, recipient: string) {
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now(), { recipientKey: recipient, address: recipient }));
  return { id, task: newDeliveryTask(id, recipient, 1, encodeInlineBody(RAW)) };
}

async function sendEach(relay: FakeRelay, log: FakeLog, count: number) {
  const accepted = [];
  for (let i = 0; i < count; i++) {
    const one = accept(relay, `r${i}@example.net`);
    await deliverTask(relay.deps, one.task, log, { queueMessageId: `q-${i}`, dequeueCount: 1 });
    accepted.push(one);
  }
  return accepted;
}

test('day 0: the hour cap sends two, the third is held to the next hour and counted there', FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-01T10:20:00Z'));
  const [, , third] = await sendEach(relay, log, 3);
  assert.equal(relay.smartHost.sent.length, 2);
  const row = relay.deliveries.row(third.id, 'r2@example.net')!;
  assert.equal(row.status, 'queued');
  assert.equal(row.attempts, 0);
  assert.equal(row.heldBy, 'warmup:sender:example.com');
  assert.deepEqual(row.nextAttemptAt, new Date('2026-03-01T11:00:00Z'));
  assert.deepEqual(
    relay.throttles.counted.map((c) => [c.at.toISOString(), c.movedBy]),
    [
      ['2026-03-01T10:20:00.000Z', undefined],
      ['2026-03-01T10:20:00.000Z', undefined],
      ['2026-03-01T11:00:00.000Z', 'warmup:sender:example.com'],
    ],
  );
  const requeued = relay.queue.tasks.shift()!;
  assert.equal(requeued.delaySeconds, 40 * 60);
  assert.equal(requeued.task.countedAt, '2026-03-01T11:00:00.000Z');
  assert.match(log.text(), /held, the warm-up caps of warmup:sender:example\.com \(2\/h\) are reached; going on in 2400s/);

  relay.clock.current = new Date('2026-03-01T11:00:00Z');
  relay.calls.length = 0;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 3);
  assert.equal(relay.deliveries.row(third.id, 'r2@example.net')!.status, 'sent');
  assert.ok(!relay.calls.includes('throttles.reserveInWindows'), 'counted once, in the window it was held for');
  assert.equal(relay.throttles.counted.length, 3);
});

test('day n: the step of that day sets the cap (day 1: three an hour; day 2: four a day)', FILE_TIMEOUT, async () => {
  const day1 = relayAt(new Date('2026-03-02T08:00:00Z'));
  await sendEach(day1.relay, day1.log, 4);
  assert.equal(day1.relay.smartHost.sent.length, 3);
  assert.deepEqual(day1.relay.queue.tasks.at(-1)!.delaySeconds, 3600);

  const day2 = relayAt(new Date('2026-03-03T23:00:00Z'));
  await sendEach(day2.relay, day2.log, 5);
  assert.equal(day2.relay.smartHost.sent.length, 4);
  assert.equal(day2.relay.queue.tasks.at(-1)!.delaySeconds, 3600, 'held to the next UTC day');
});

test('after the ramp nothing is counted: no storage call for the warm-up', FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-04T00:00:00Z'));
  await sendEach(relay, log, 3);
  assert.equal(relay.smartHost.sent.length, 3);
  assert.ok(!relay.calls.some((c) => c.startsWith('throttles.')), relay.calls.join(', '));
});

test("another sender domain's mail is not counted against the plan", FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-01T10:00:00Z'), [{ ...SENDER_PLAN, name: 'example.org' }]);
  await sendEach(relay, log, 3);
  assert.equal(relay.smartHost.sent.length, 3);
  assert.equal(relay.throttles.counted.length, 0);
});

test("the default smart host's ramp holds as warmup:smartHost:default", FILE_TIMEOUT, async () => {
  const host: WarmupPlan = { kind: 'smartHost', name: 'default', startsAt: START, steps: [{ day: 0, perHour: 1 }] };
  const { relay, log } = relayAt(new Date('2026-03-01T10:00:00Z'), [SENDER_PLAN, host]);
  const [, second] = await sendEach(relay, log, 2);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(relay.deliveries.row(second.id, 'r1@example.net')!.heldBy, 'warmup:smartHost:default');
  assert.deepEqual(relay.throttles.counted[0].keys, ['warmup:sender:example.com', 'warmup:smartHost:default'], 'one call for both plans');
});

test('a later hold of the same attempt carries the count: the attempt is not counted twice', FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-01T10:00:00Z'));
  // stands for the rate step (the throttle branch's), which runs after the warm-up and holds for a slot
  const rateHold: DeliveryStep = {
    name: 'rate',
    run: (state) =>
      state.task.slotAt
        ? { continue: true as const }
        : holdUntil(state, { heldBy: 'rate:destination:x', until: new Date('2026-03-01T10:00:30Z'), why: 'rate', slotAt: new Date('2026-03-01T10:00:30Z') }),
  };
  const at = DELIVERY_STEPS.indexOf(holdForWarmup) + 1;
  const steps = [...DELIVERY_STEPS.slice(0, at), rateHold, ...DELIVERY_STEPS.slice(at)];
  const { task } = accept(relay, 'r0@example.net');
  await runSteps(steps, { deps: relay.deps, task, delivery: { queueMessageId: 'q-1', dequeueCount: 1 }, log, label: 'one' });
  const requeued = relay.queue.tasks.shift()!;
  assert.equal(requeued.task.countedAt, '2026-03-01T10:00:00.000Z');
  relay.clock.current = new Date('2026-03-01T10:00:30Z');
  await runSteps(steps, { deps: relay.deps, task: requeued.task, delivery: { queueMessageId: requeued.queueMessageId, dequeueCount: 1 }, log, label: 'one' });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(relay.throttles.counted.length, 1);
});

test('a count from another window (a hold that crossed the hour) is counted again, in the window it sends in', FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-01T11:00:05Z'));
  const { task } = accept(relay, 'r0@example.net');
  await deliverTask(relay.deps, { ...task, countedAt: '2026-03-01T10:59:50.000Z' }, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.deepEqual(
    relay.throttles.counted.map((c) => c.at.toISOString()),
    ['2026-03-01T11:00:05.000Z'],
  );
});

test('storage failing while counting leaves the task to the queue: nothing sent, nothing written', FILE_TIMEOUT, async () => {
  const { relay, log } = relayAt(new Date('2026-03-01T10:00:00Z'));
  const { id, task } = accept(relay, 'r0@example.net');
  relay.fail('throttles.reserveInWindows');
  await assert.rejects(deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 }));
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(relay.deliveries.row(id, 'r0@example.net')!.status, 'queued');
});
