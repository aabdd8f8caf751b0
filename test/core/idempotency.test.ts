import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, checkIdempotencyKey, decideOnExistingKey } from '../../src/core/idempotency';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('key format', FILE_TIMEOUT, () => {
  assert.equal(checkIdempotencyKey('order-42'), undefined);
  assert.equal(checkIdempotencyKey('x'.repeat(255)), undefined);
  assert.match(checkIdempotencyKey('')!, /1 to 255/);
  assert.match(checkIdempotencyKey('x'.repeat(256))!, /1 to 255/);
  assert.match(checkIdempotencyKey('キー')!, /printable ASCII/);
  assert.match(checkIdempotencyKey('a\nb')!, /printable ASCII/);
});

test('decisions on a key seen before', FILE_TIMEOUT, () => {
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const existing = { bodyHash: 'h1', messageId: 'm', createdAt, answer: '{}' };
  const at = (ms: number) => new Date(createdAt.getTime() + ms);
  assert.equal(decideOnExistingKey(existing, 'h1', true, at(1000)), 'replay');
  assert.equal(decideOnExistingKey(existing, 'h2', true, at(1000)), 'body-conflict');
  assert.equal(decideOnExistingKey(existing, 'h1', false, at(1000)), 'in-progress');
  assert.equal(decideOnExistingKey(existing, 'h1', false, at(5 * 60_000)), 'take-over');
  assert.equal(decideOnExistingKey(existing, 'h2', true, at(25 * 3600_000)), 'take-over');
});

test('canonical JSON ignores key order but not values', FILE_TIMEOUT, () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
  assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
});
