// The Functions host copies a queue message's top-level JSON properties into the trigger metadata,
// case-insensitively and overwriting (azure-functions-nodejs-library#459). relayDelivery reads the
// metadata's id (the lease owner) and dequeueCount (redelivery detection), so no task field may share
// a name with any metadata the host provides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDeliveryTask, type DeliveryTask } from '../../src/core/deliveryTask';
import { mergeMessageProperties } from '../../src/local/triggerMetadata';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

// Every field of a task: the compiler fails here when a field is added to DeliveryTask and not listed.
const taskFields = {
  v: true,
  messageId: true,
  recipient: true,
  attempt: true,
  body: true,
  bodyBase64: true,
  slotAt: true,
  slotHost: true,
  countedAt: true,
  countedHost: true,
  suppressionsReadAt: true,
} satisfies Record<keyof DeliveryTask, true>;

/** What a queue trigger's binding data holds before the message is merged in, plus the "sys" the host adds. */
const hostMetadataNames = ['QueueTrigger', 'DequeueCount', 'ExpirationTime', 'Id', 'InsertionTime', 'NextVisibleTime', 'PopReceipt', 'sys'];

test('no task field collides, in any case, with the metadata the host provides', FILE_TIMEOUT, () => {
  const reserved = new Set(hostMetadataNames.map((n) => n.toLowerCase()));
  const colliding = Object.keys(taskFields).filter((field) => reserved.has(field.toLowerCase()));
  assert.deepEqual(colliding, []);
});

test('merged as the host merges it, a task with every field leaves id and dequeueCount alone', FILE_TIMEOUT, () => {
  const task: DeliveryTask = {
    ...newDeliveryTask('m-1', 'a@example.net', 3, { body: 'Subject: x\r\n\r\nhi\r\n' }),
    bodyBase64: 'aGk=',
    slotAt: '2026-12-01T00:00:00.000Z',
    slotHost: 'sendgrid',
    countedAt: '2026-12-01T00:00:00.000Z',
    countedHost: 'sendgrid',
    suppressionsReadAt: '2026-12-01T00:00:00.000Z',
  };
  assert.deepEqual(Object.keys(task).sort(), Object.keys(taskFields).sort(), 'the sample carries every field');
  const metadata = { Id: { string: 'queue-message-id' }, DequeueCount: { json: '2' }, PopReceipt: { string: 'receipt' } };
  const merged = mergeMessageProperties(metadata, JSON.stringify(task));
  assert.deepEqual(merged.Id, { string: 'queue-message-id' });
  assert.deepEqual(merged.DequeueCount, { json: '2' });
  assert.deepEqual(merged.PopReceipt, { string: 'receipt' });
  assert.deepEqual(merged.messageId, { string: 'm-1' }, 'the task fields are there as well');
});

test('the merge does overwrite a colliding name, whatever its case', FILE_TIMEOUT, () => {
  const merged = mergeMessageProperties({ Id: { string: 'queue-message-id' } }, JSON.stringify({ ID: 'from-the-body' }));
  assert.deepEqual(merged, { Id: { string: 'from-the-body' } });
});
