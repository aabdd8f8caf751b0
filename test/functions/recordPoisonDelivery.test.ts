// What the relay gives up on is still recorded. The queue's retry delay and dequeue limit are
// shortened through AzureFunctionsJobHost__ settings, as they could be in Azure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';
import { eventsAfter } from '../support/storedResults';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({
    env: {
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
    },
  });
});
after(async () => {
  await relay?.stop();
});

test('a task the relay keeps failing on goes to the poison queue and is reported there', FILE_TIMEOUT, async () => {
  await relay.clients.queue.sendMessage(JSON.stringify({ v: 1, messageId: 'x' })); // no recipient: not a task
  const failures = () => relay.hostOutput.filter((l) => l.includes('is not a delivery task') && l.includes('[relayDelivery]')).length;
  await eventually('the poison function to report the task', () =>
    relay.hostOutput.some((l) => l.includes('[recordPoisonDelivery]') && l.includes('is not a delivery task; dropped')) ? true : undefined,
  );
  assert.equal(failures(), 2, 'tried maxDequeueCount times before the poison queue');
});

test('a recipient whose task lands in the poison queue is marked failed with the reason', FILE_TIMEOUT, async () => {
  await relay.smartHost.pause(); // keep it deferred, not final
  try {
    const answer = await relay.send(message({ to: 'poisoned@example.net' }));
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    // What the host does after maxDequeueCount failures: the task, unchanged, on the poison queue.
    await new DeliveryQueue(relay.clients.poisonQueue).enqueue({ v: 1, messageId: answer.body.id, recipient: 'poisoned@example.net' });
    const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
    assert.equal(view.recipients[0].status, 'failed');
    assert.match(view.recipients[0].response!, /moved to deliveries-poison after repeated failures\); last reply: .*ECONNREFUSED/);
    const events = await eventsAfter(relay, answer.body.id, ['poisoned@example.net: failed'], 'recordPoisonDelivery');
    assert.equal(events.filter((e) => e.status === 'failed').length, 1, 'the failure is in the events table too');
  } finally {
    await relay.smartHost.resume();
  }
  // The deferral's own retry task still comes due: it must find the recipient final and leave it.
  await eventually('the pending retry to be skipped', () =>
    relay.hostOutput.some((l) => l.includes('to poisoned@example.net: skipped, already failed')) ? true : undefined,
  );
  assert.equal(relay.smartHost.countFor('poisoned@example.net'), 0);
});

test("storage failing under the relay: the recipient is freed for the queue's retries, then failed if it persists", FILE_TIMEOUT, async () => {
  await relay.smartHost.pause(); // a first attempt that defers, so the body has been read once
  // Large enough that its body is kept in a blob rather than in its queue task.
  const attachment = { filename: 'big.bin', content: Buffer.alloc(60_000, 7).toString('base64') };
  const answer = await relay.send(message({ to: 'storage-trouble@example.net', attachments: [attachment] }));
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    await relay.clients.bodies.delete(); // the whole container: an outage, not a missing message
  } finally {
    await relay.smartHost.resume();
  }
  try {
    const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
    assert.equal(view.recipients[0].status, 'failed');
    assert.match(view.recipients[0].response!, /moved to deliveries-poison/);
    const released = relay.hostOutput.filter((l) => l.includes('storage-trouble@example.net: could not read the message body'));
    assert.equal(released.length, 2, 'each of the maxDequeueCount tries gave the row back');
  } finally {
    await relay.clients.bodies.createIfNotExists();
  }
  assert.equal(relay.smartHost.countFor('storage-trouble@example.net'), 0);
});
