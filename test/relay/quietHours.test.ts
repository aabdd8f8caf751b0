// Quiet hours in the delivery steps, against the in-memory ports and an injected clock: outside its
// destination's window a recipient is held until the window opens (no storage call to decide, no
// rate slot, not an attempt), and sent when it comes back at the opening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { EMPTY_POLICY, type DailyHours } from '../../src/core/policy/types';
import { deliverTask } from '../../src/relay/deliverTask';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const TOKYO: DailyHours = { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' };
const HELD_BY = 'hours:destination:jp-carrier';

function accepted(now: Date, hours: DailyHours = TOKYO, changes: Partial<DeliveryRow> = {}, attempt = 1) {
  const relay = new FakeRelay({}, now);
  relay.config.policy = { ...EMPTY_POLICY, destinations: [{ name: 'jp-carrier', domains: ['example.net'], rate: [], hours }] };
  const id = newMessageId(now);
  relay.deliveries.seed(queuedRow(id, now, changes));
  const task = newDeliveryTask(id, RECIPIENT, attempt, encodeInlineBody(RAW));
  return { relay, id, task, log: new FakeLog(), row: () => relay.deliveries.row(id, RECIPIENT)! };
}

test('outside the hours: held until the window opens, nothing sent, no storage call beyond the hold', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:00:00Z')); // 22:00 in Tokyo
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['deliveries.get', 'deliveries.replace', 'events.record', 'queue.enqueue'], 'not even the suppression query');
  assert.equal(relay.smartHost.sent.length, 0);
  assert.deepEqual(relay.throttles.reserved, [], 'a recipient held by the hours reserves no slot');
  const held = row();
  assert.equal(held.status, 'queued');
  assert.equal(held.attempts, 0);
  assert.equal(held.heldBy, HELD_BY);
  assert.deepEqual(held.nextAttemptAt, new Date('2026-03-01T23:00:00Z'), '08:00 in Tokyo');
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task, t.delaySeconds]),
    [[task, 10 * 3600]],
  );
  assert.match(log.text(), /held, destination jp-carrier takes mail 08:00–21:00 Asia\/Tokyo only; going on in 36000s/);
});

test('at the opening the requeued task sends as the attempt it was, and heldBy is cleared', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:00:00Z'));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  relay.clock.current = new Date('2026-03-01T23:00:00Z');
  const requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 1);
  assert.equal(row().heldBy, undefined);
});

test('a second early (a clock a little behind) is still outside: held again to the same opening, the row not written again', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:00:00Z'));
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  const before = row();
  relay.clock.current = new Date('2026-03-01T22:59:59Z');
  relay.calls.length = 0;
  const requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['deliveries.get', 'queue.enqueue']);
  assert.deepEqual(row(), before);
  assert.equal(relay.queue.tasks.at(-1)!.delaySeconds, 1);
});

test('an address suppressed meanwhile is held like any, then suppressed at the opening: never sent', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:00:00Z'));
  relay.suppressions.seed({ address: RECIPIENT, scope: 'all', reason: 'asked us to stop', source: 'manual', createdAt: relay.clock.now() });
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().heldBy, HELD_BY);
  relay.clock.current = new Date('2026-03-01T23:00:00Z');
  const requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'suppressed');
  assert.equal(row().heldBy, undefined);
});

test('the window opening between the row read and the decision: the suppression list is read then, and applies', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T22:59:59.900Z'));
  relay.suppressions.seed({ address: RECIPIENT, scope: 'all', reason: 'asked us to stop', source: 'manual', createdAt: relay.clock.now() });
  const clock = relay.clock;
  const now = clock.now;
  // the first look (lookUpSuppressions) sees the window closed, every later one open
  clock.now = () => {
    const at = now();
    clock.current = new Date('2026-03-01T23:00:00.100Z');
    return at;
  };
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['deliveries.get', 'suppressions.find', 'deliveries.replace', 'events.record']);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'suppressed');
});

test('inside the hours: sent at once, no hold, no storage call beyond a plain send', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T03:00:00Z')); // 12:00 in Tokyo
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'smartHost.send', 'deliveries.replace', 'events.record']);
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(row().status, 'sent');
  assert.equal(row().heldBy, undefined);
});

test('a window past midnight holds the afternoon to its evening opening', FILE_TIMEOUT, async () => {
  const night: DailyHours = { from: '22:00', to: '06:00', timeZone: 'UTC' };
  const { relay, task, log, row } = accepted(new Date('2026-03-01T12:00:00Z'), night);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.deepEqual(row().nextAttemptAt, new Date('2026-03-01T22:00:00Z'));
  const late = accepted(new Date('2026-03-01T23:30:00Z'), night);
  await deliverTask(late.relay.deps, late.task, late.log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(late.row().status, 'sent');
});

test('a deferred recipient outside the hours keeps its status and attempts; the retry is made at the opening', FILE_TIMEOUT, async () => {
  const now = new Date('2026-03-01T13:00:00Z');
  const { relay, task, log, row } = accepted(now, TOKYO, { status: 'deferred', attempts: 1, nextAttemptAt: now }, 2);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'deferred');
  assert.equal(row().attempts, 1);
  assert.equal(row().heldBy, HELD_BY);
  relay.clock.current = new Date('2026-03-01T23:00:00Z');
  const requeued = relay.queue.tasks.shift()!;
  await deliverTask(relay.deps, requeued.task, log, { queueMessageId: requeued.queueMessageId, dequeueCount: 1 });
  assert.equal(row().status, 'sent');
  assert.equal(row().attempts, 2);
});

test('a recipient of a domain no destination lists is not looked at', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted(new Date('2026-03-01T13:00:00Z'));
  relay.config.policy = { ...EMPTY_POLICY, destinations: [{ name: 'other', domains: ['example.org'], rate: [], hours: TOKYO }] };
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(row().status, 'sent');
});
