import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDeliveryTask, QUEUE_MESSAGE_ENCODING } from '../../src/storage/deliveryQueue';

test('the enqueuer writes what host.json tells the trigger to expect', () => {
  const hostJson = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', '..', 'host.json'), 'utf8'));
  assert.equal(hostJson.extensions.queues.messageEncoding, QUEUE_MESSAGE_ENCODING);
});

test('reads a task from parsed JSON or text, and nothing else', () => {
  const task = { v: 1, messageId: 'm', recipient: 'a@example.net' };
  assert.deepEqual(parseDeliveryTask(task), task);
  assert.deepEqual(parseDeliveryTask(JSON.stringify(task)), task);
  for (const bad of [null, 'not json', { ...task, v: 2 }, { v: 1, messageId: 'm' }, { ...task, recipient: '' }, 42]) {
    assert.equal(parseDeliveryTask(bad), undefined, JSON.stringify(bad));
  }
});
