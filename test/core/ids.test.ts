import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hourKey, MESSAGE_ID_PATTERN, newMessageId, timeKey, timeOfMessageId } from '../../src/core/ids';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('message ids are UUIDv7 that carry their time and sort by it', FILE_TIMEOUT, () => {
  const t1 = new Date('2026-11-29T10:00:00.123Z');
  const t2 = new Date('2026-11-29T10:00:00.124Z');
  const a = newMessageId(t1);
  const b = newMessageId(t2);
  assert.match(a, MESSAGE_ID_PATTERN);
  assert.deepEqual(timeOfMessageId(a), t1);
  assert.ok(a < b);
  assert.notEqual(newMessageId(t1), newMessageId(t1));
  assert.equal(timeOfMessageId('not-an-id'), undefined);
});

test('hour and time keys are UTC and sortable', FILE_TIMEOUT, () => {
  const at = new Date('2026-11-29T09:05:07.008Z');
  assert.equal(hourKey(at), '2026112909');
  assert.equal(timeKey(at), '20261129090507008');
});
