import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hourKey, MESSAGE_ID_PATTERN, newMessageId, timeKey, timeOfMessageId } from '../../src/core/ids';

test('message ids are UUIDv7 that carry their time and sort by it', () => {
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

test('hour and time keys are UTC and sortable', () => {
  const at = new Date('2026-11-29T09:05:07.008Z');
  assert.equal(hourKey(at), '2026112909');
  assert.equal(timeKey(at), '20261129090507008');
});
