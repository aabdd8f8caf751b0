// The route in the policy checks, against the in-memory ports: a recipient whose route's hosts all
// cool off or are suspended is held until the first of them ends; the limits, warm-up plan and
// suspension a recipient is held for are its route's first host's; a reaction on a smart host
// suspends the host that gave the reply; and warm-up overflow sends through the next host instead of
// holding, counted against that host's plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { newMessageId } from '../../src/core/ids';
import { deliverTask } from '../../src/relay/deliverTask';
import { policyOf } from '../support/checkedPolicy';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:20:00.000Z');
const SECOND = { host: 'smtp.second.example', username: 'relay', passwordSetting: 'SECOND_PASSWORD' };

function relayWith(policyJson: Record<string, unknown>) {
  const relay = new FakeRelay({ RELAY_HOLD_RECHECK_SECONDS: '30' }, START);
  relay.config.policy = policyOf(policyJson);
  const second = relay.addSmartHost('second');
  return { relay, second, log: new FakeLog() };
}

function accept(relay: FakeRelay, recipient = 'rcpt@example.net') {
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now(), { recipientKey: recipient, address: recipient }));
  return { id, recipient, task: newDeliveryTask(id, recipient, 1, encodeInlineBody(RAW)), row: () => relay.deliveries.row(id, recipient) };
}

const deliver = (relay: FakeRelay, task: ReturnType<typeof accept>['task'], log: FakeLog, n = 1) =>
  deliverTask(relay.deps, task, log, { queueMessageId: `q-${n}`, dequeueCount: 1 });

test('every host of the route cooling off: held until the first cool-off ends, heldBy naming it', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: SECOND }, routes: [{ smartHosts: ['default', 'second'] }] });
  const soon = new Date(START.getTime() + 120_000);
  relay.smartHostHealth.coolOffs.set('default', new Date(START.getTime() + 300_000));
  relay.smartHostHealth.coolOffs.set('second', soon);
  const { task, row } = accept(relay);
  await deliver(relay, task, log);
  assert.equal(relay.smartHost.sent.length + second.sent.length, 0);
  assert.equal(row()?.status, 'queued');
  assert.equal(row()?.attempts, 0);
  assert.equal(row()?.heldBy, 'coolOff:smartHost:second');
  assert.deepEqual(row()?.nextAttemptAt, soon);
  assert.equal(relay.queue.tasks[0]?.delaySeconds, 120);
});

test('one host cooling off and the other suspended: the suspension holds, rechecked, if it ends first', FILE_TIMEOUT, async () => {
  const { relay, log } = relayWith({ smartHosts: { second: SECOND }, routes: [{ smartHosts: ['default', 'second'] }] });
  relay.smartHostHealth.coolOffs.set('default', new Date(START.getTime() + 300_000));
  await relay.suspensions.put({
    kind: 'smartHost',
    name: 'second',
    reason: 'quota',
    source: 'manual',
    createdAt: START,
    until: new Date(START.getTime() + 60_000),
  });
  const { task, row } = accept(relay);
  await deliver(relay, task, log);
  assert.equal(row()?.heldBy, 'suspended:smartHost:second');
  assert.equal(relay.queue.tasks[0]?.delaySeconds, 30, 'looks again after RELAY_HOLD_RECHECK_SECONDS');
});

test('a suspended first host is left out: the recipient goes through the next one', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: SECOND }, routes: [{ smartHosts: ['default', 'second'] }] });
  await relay.suspensions.put({
    kind: 'smartHost',
    name: 'default',
    reason: 'quota',
    source: 'manual',
    createdAt: START,
    until: new Date(START.getTime() + 600_000),
  });
  const { task, row } = accept(relay);
  await deliver(relay, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(second.sent.length, 1);
  assert.equal(row()?.smartHost, 'second');
});

test("the route's first host's rate holds the recipient, not default's", FILE_TIMEOUT, async () => {
  const { relay, log } = relayWith({
    smartHosts: { default: { rate: '1/s' }, second: { ...SECOND, rate: '30/min' } },
    routes: [{ smartHosts: ['second', 'default'] }],
  });
  relay.throttles.slots.set('smartHost:second', new Date(START.getTime() + 60_000));
  const { task, row } = accept(relay);
  await deliver(relay, task, log);
  assert.deepEqual(
    relay.throttles.reserved.map((r) => r.keys),
    [['smartHost:second']],
  );
  assert.equal(row()?.heldBy, 'rate:smartHost:second');
});

test("the route's first host's concurrency takes the lease around the send", FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: { ...SECOND, concurrency: 1 } }, routes: [{ smartHosts: ['second'] }] });
  await relay.throttles.acquire('smartHost:second', 1, 'someone else', new Date(START.getTime() + 600_000), START);
  const { task, row } = accept(relay);
  await deliver(relay, task, log);
  assert.equal(second.sent.length, 0);
  assert.equal(row()?.heldBy, 'concurrency:smartHost:second');
});

test("the route's first host's warm-up plan counts the send", FILE_TIMEOUT, async () => {
  const { relay, log } = relayWith({
    smartHosts: { second: SECOND },
    routes: [{ smartHosts: ['second'] }],
    warmup: { smartHosts: { second: { start: '2026-03-01', schedule: [{ day: 0, perHour: 1 }] } } },
  });
  const first = accept(relay, 'a@example.net');
  await deliver(relay, first.task, log, 1);
  const next = accept(relay, 'b@example.net');
  await deliver(relay, next.task, log, 2);
  assert.equal(first.row()?.status, 'sent');
  assert.equal(next.row()?.heldBy, 'warmup:smartHost:second');
});

test('warm-up overflow: the first host full, the recipient goes through the next one, counted in its plan', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({
    smartHosts: { second: SECOND },
    routes: [{ smartHosts: ['default', 'second'], warmupOverflow: true }],
    warmup: {
      smartHosts: {
        default: { start: '2026-03-01', schedule: [{ day: 0, perHour: 2 }] },
        second: { start: '2026-03-01', schedule: [{ day: 0, perHour: 2 }] },
      },
    },
  });
  const sent = [];
  for (let i = 0; i < 5; i++) {
    const one = accept(relay, `r${i}@example.net`);
    await deliver(relay, one.task, log, i);
    sent.push(one);
  }
  assert.deepEqual(
    sent.map((s) => [s.row()?.status, s.row()?.smartHost ?? s.row()?.heldBy]),
    [
      ['sent', 'default'],
      ['sent', 'default'],
      ['sent', 'second'],
      ['sent', 'second'],
      ['queued', 'warmup:smartHost:second'],
    ],
  );
  assert.equal(relay.smartHost.sent.length, 2);
  assert.equal(second.sent.length, 2);
  assert.match(log.text(), /warm-up overflow: not through default \(its warm-up caps are full\)/);
  assert.match(log.text(), /warm-up overflow: not through default \(its warm-up caps are full until 2026-03-01T11:00:00\.000Z\)/);
  // the reservation that found default full counted one place of its next hour; the later ones did not count
  assert.equal(relay.throttles.counted.filter((c) => c.keys.includes('warmup:smartHost:default')).length, 3);

  // back in the next hour it goes through default again, counted in default's caps (not waved
  // through on the count it got for second)
  const requeued = relay.queue.tasks.at(-1);
  assert.equal(requeued?.task.countedAt, undefined, 'no count carried over to another host');
  relay.clock.current = new Date('2026-03-01T11:00:01.000Z');
  await deliverTask(relay.deps, requeued!.task, log, { queueMessageId: 'q-back', dequeueCount: 1 });
  assert.equal(sent[4]?.row()?.smartHost, 'default');
  assert.deepEqual(relay.throttles.counted.at(-1)?.keys, ['warmup:smartHost:default']);
});

test('without warmupOverflow the full first host holds the recipient', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({
    smartHosts: { second: SECOND },
    routes: [{ smartHosts: ['default', 'second'] }],
    warmup: { smartHosts: { default: { start: '2026-03-01', schedule: [{ day: 0, perHour: 1 }] } } },
  });
  await deliver(relay, accept(relay, 'a@example.net').task, log, 1);
  const held = accept(relay, 'b@example.net');
  await deliver(relay, held.task, log, 2);
  assert.equal(held.row()?.heldBy, 'warmup:smartHost:default');
  assert.equal(second.sent.length, 0);
});

test('a reaction on a smart host suspends the host that gave the reply', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({
    smartHosts: { second: SECOND },
    routes: [{ smartHosts: ['default', 'second'] }],
    reactions: [{ name: 'quota', match: 'sending quota', action: 'suspend', target: 'smartHost', duration: '10m' }],
  });
  relay.smartHost.replies = [{ kind: 'temporary', category: 'connection', response: 'ECONNECTION: connect ECONNREFUSED 127.0.0.1:1' }];
  second.replies = [{ kind: 'temporary', smtpCode: 452, enhancedCode: '4.7.0', category: 'other', response: '452 4.7.0 sending quota exceeded' }];
  const { task } = accept(relay);
  await deliver(relay, task, log);
  assert.ok(await relay.suspensions.activeFor('smartHost', 'second', relay.clock.now()), 'second, whose reply it was');
  assert.equal(await relay.suspensions.activeFor('smartHost', 'default', relay.clock.now()), undefined);
});
