// A held recipient's slot and warm-up count carry the smart host they were taken under. When it comes
// back and its route starts with another host (the first cools off), that host's rate or plan never
// counted it: it reserves, or counts, under that host before it is sent. Its own host unchanged, or
// the new one without limits, the carried slot stands; a task from before the field counts as
// reserved under `default`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeInlineBody, newDeliveryTask, type DeliveryTask } from '../../src/core/deliveryTask';
import { newMessageId } from '../../src/core/ids';
import { deliverTask } from '../../src/relay/deliverTask';
import { HOLD_LEAD_MS } from '../../src/relay/policies/holdForRate';
import { policyOf } from '../support/checkedPolicy';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:20:00.000Z');
const SECOND = { host: 'smtp.second.example', username: 'relay', passwordSetting: 'SECOND_PASSWORD' };
const RECIPIENT = 'rcpt@example.net';

function relayWith(policyJson: Record<string, unknown>) {
  const relay = new FakeRelay({}, START);
  relay.config.policy = policyOf(policyJson);
  const second = relay.addSmartHost('second');
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, { recipientKey: RECIPIENT, address: RECIPIENT }));
  const task = newDeliveryTask(id, RECIPIENT, 1, encodeInlineBody(RAW));
  return { relay, second, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT) };
}

const deliver = (relay: FakeRelay, task: DeliveryTask, log: FakeLog, n = 1) =>
  deliverTask(relay.deps, task, log, { queueMessageId: `q-${n}`, dequeueCount: 1 });

/** Delivers, expects a hold, and gives back the task that went back to the queue. */
async function heldTask(relay: FakeRelay, task: DeliveryTask, log: FakeLog, n: number): Promise<DeliveryTask> {
  await deliver(relay, task, log, n);
  assert.equal(relay.queue.tasks.length, 1, 'held: its task is back in the queue');
  return relay.queue.tasks.shift()!.task;
}

const at = (ms: number) => new Date(START.getTime() + ms);
const reservedKeys = (relay: FakeRelay) => relay.throttles.reserved.map((r) => r.keys);

/** `second`'s next slot a minute away: the first delivery holds the task for it. */
async function heldUnderSecond(relay: FakeRelay, task: DeliveryTask, log: FakeLog): Promise<{ slot: Date; held: DeliveryTask }> {
  const slot = at(60_000);
  relay.throttles.slots.set('smartHost:second', slot);
  return { slot, held: await heldTask(relay, task, log, 1) };
}

/** `second` cools off for an hour: a route through it now starts with the next host. */
const coolOffSecond = (relay: FakeRelay) => relay.smartHostHealth.coolOffs.set('second', at(3600_000));

test("held under one host, back when its route starts with another: reserved under that host's rate before it is sent", FILE_TIMEOUT, async () => {
  const { relay, second, task, log, row } = relayWith({
    smartHosts: { default: { rate: '10/min' }, second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
  });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  assert.deepEqual([held.slotAt, held.slotHost], [slot.toISOString(), 'second']);

  coolOffSecond(relay);
  const defaultSlot = at(120_000);
  relay.throttles.slots.set('smartHost:default', defaultSlot);
  relay.clock.current = new Date(slot.getTime() - HOLD_LEAD_MS);
  const again = await heldTask(relay, held, log, 2);
  assert.deepEqual(reservedKeys(relay), [['smartHost:second'], ['smartHost:default']], "default's windows (no destination limits here)");
  assert.equal(relay.smartHost.sent.length + second.sent.length, 0, "not sent before default's slot");
  assert.equal(row()?.heldBy, 'rate:smartHost:default');
  assert.deepEqual([again.slotAt, again.slotHost], [defaultSlot.toISOString(), undefined], '`default` goes unnamed');

  relay.clock.current = defaultSlot;
  await deliver(relay, again, log, 3);
  assert.equal(relay.throttles.reserved.length, 2, 'sent at the slot it carried, no third reservation');
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row()?.smartHost, 'default');
});

test('the other host with a slot sooner than the carried one: sent at its own slot, the carried one given up', FILE_TIMEOUT, async () => {
  const { relay, task, log } = relayWith({
    smartHosts: { default: { rate: '10/min' }, second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
  });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  coolOffSecond(relay);
  relay.clock.current = new Date(slot.getTime() - HOLD_LEAD_MS);
  const started = Date.now();
  await deliver(relay, held, log, 2);
  assert.deepEqual(reservedKeys(relay), [['smartHost:second'], ['smartHost:default']]);
  assert.ok(Date.now() - started < HOLD_LEAD_MS / 2, 'did not wait for the carried slot: the new reservation is the one it sends at');
  assert.equal(relay.smartHost.sent.length, 1);
});

test('with a destination rate too: the new host and the destination are reserved together, at one moment', FILE_TIMEOUT, async () => {
  const { relay, task, log } = relayWith({
    builtIn: false,
    destinations: { limited: { domains: ['example.net'], rate: '20/min' } },
    smartHosts: { default: { rate: '10/min' }, second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
  });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  coolOffSecond(relay);
  const destinationSlot = at(90_000);
  relay.throttles.slots.set('destination:limited', destinationSlot);
  relay.clock.current = new Date(slot.getTime() - HOLD_LEAD_MS);
  const again = await heldTask(relay, held, log, 2);
  assert.deepEqual(reservedKeys(relay), [
    ['destination:limited', 'smartHost:second'],
    ['destination:limited', 'smartHost:default'],
  ]);
  assert.equal(again.slotAt, destinationSlot.toISOString(), "the moment both have room, not the slot carried from the first host's reservation");
  assert.equal(relay.smartHost.sent.length, 0);
});

test('its host unchanged: it sends at its slot without a new reservation', FILE_TIMEOUT, async () => {
  const { relay, second, task, log } = relayWith({
    smartHosts: { default: { rate: '10/min' }, second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
  });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  relay.clock.current = slot;
  await deliver(relay, held, log, 2);
  assert.deepEqual(reservedKeys(relay), [['smartHost:second']]);
  assert.equal(second.sent.length, 1);
});

test('the new first host has no rate: the carried slot stands, no reservation', FILE_TIMEOUT, async () => {
  const { relay, task, log } = relayWith({ smartHosts: { second: { ...SECOND, rate: '30/min' } }, routes: [{ smartHosts: ['second', 'default'] }] });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  coolOffSecond(relay);
  relay.clock.current = slot;
  await deliver(relay, held, log, 2);
  assert.deepEqual(reservedKeys(relay), [['smartHost:second']]);
  assert.equal(relay.smartHost.sent.length, 1);
});

test('a task from before the field, without routes: reserved under default, it sends at its slot as before', FILE_TIMEOUT, async () => {
  const { relay, task, log } = relayWith({ smartHosts: { default: { rate: '10/min' } } });
  await deliver(relay, { ...task, slotAt: START.toISOString() }, log);
  assert.deepEqual(reservedKeys(relay), []);
  assert.equal(relay.smartHost.sent.length, 1);
});

test('a task from before the field whose route starts with a rated host: reserved under it, never sent uncounted', FILE_TIMEOUT, async () => {
  const { relay, second, task, log } = relayWith({ smartHosts: { second: { ...SECOND, rate: '30/min' } }, routes: [{ smartHosts: ['second'] }] });
  await deliver(relay, { ...task, slotAt: START.toISOString() }, log);
  assert.deepEqual(reservedKeys(relay), [['smartHost:second']]);
  assert.equal(second.sent.length, 1);
});

test("counted under one host's warm-up plan, back through another warming host: counted under that plan too", FILE_TIMEOUT, async () => {
  const { relay, task, log } = relayWith({
    smartHosts: { second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
    warmup: {
      smartHosts: {
        default: { start: '2026-03-01', schedule: [{ day: 0, perHour: 5 }] },
        second: { start: '2026-03-01', schedule: [{ day: 0, perHour: 5 }] },
      },
    },
  });
  const { slot, held } = await heldUnderSecond(relay, task, log);
  assert.deepEqual([held.countedAt, held.countedHost], [START.toISOString(), 'second']);
  coolOffSecond(relay);
  relay.clock.current = slot;
  await deliver(relay, held, log, 2);
  assert.deepEqual(
    relay.throttles.counted.map((c) => c.keys),
    [['warmup:smartHost:second'], ['warmup:smartHost:default']],
  );
  assert.equal(relay.smartHost.sent.length, 1);
});

test('back through another warming host whose caps are full: held until its window, counted afresh then', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = relayWith({
    smartHosts: { second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
    warmup: {
      smartHosts: {
        default: { start: '2026-03-01', schedule: [{ day: 0, perHour: 1 }] },
        second: { start: '2026-03-01', schedule: [{ day: 0, perHour: 5 }] },
      },
    },
  });
  relay.throttles.slots.set('smartHost:second', at(60_000));
  const held = await heldTask(relay, task, log, 1);
  relay.smartHostHealth.coolOffs.set('second', at(86400_000));
  relay.clock.current = at(60_000);
  // another recipient took default's place of this hour
  await relay.throttles.reserveInWindows([{ key: 'warmup:smartHost:default', windows: [{ count: 1, seconds: 3600, text: '1/h' }] }], relay.clock.now());
  await deliver(relay, held, log, 2);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row()?.heldBy, 'warmup:smartHost:default');
  assert.deepEqual(row()?.nextAttemptAt, new Date('2026-03-01T11:00:00.000Z'));
  assert.equal(relay.queue.tasks[0]?.task.countedHost, 'second', 'the count it carries is still the one under second: not good in a later window');
});

test('held again for a busy concurrency place, it keeps the host its slot is under', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = relayWith({ smartHosts: { second: { ...SECOND, rate: '30/min', concurrency: 1 } }, routes: [{ smartHosts: ['second'] }] });
  await relay.throttles.acquire('smartHost:second', 1, 'someone else', at(600_000), START);
  const held = await heldTask(relay, task, log, 1);
  assert.equal(row()?.heldBy, 'concurrency:smartHost:second');
  assert.deepEqual([held.slotAt, held.slotHost], [START.toISOString(), 'second']);
});
