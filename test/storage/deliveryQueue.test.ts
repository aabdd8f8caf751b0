import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { QUEUE_MESSAGE_ENCODING } from '../../src/storage/deliveryQueue';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

test('the enqueuer writes what host.json tells the trigger to expect', FILE_TIMEOUT, () => {
  const hostJson = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', '..', 'host.json'), 'utf8')) as {
    extensions: { queues: { messageEncoding: string } };
  };
  assert.equal(hostJson.extensions.queues.messageEncoding, QUEUE_MESSAGE_ENCODING);
});
