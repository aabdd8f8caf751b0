// The delivery task is a wire contract: what a relay of one version queues, another reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeInlineBody, inlineBody, MAX_TASK_CHARS, newDeliveryTask, parseDeliveryTask } from '../../src/core/deliveryTask';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('reads a task from parsed JSON or text, and nothing else', FILE_TIMEOUT, () => {
  const task = { v: 2, messageId: 'm', recipient: 'a@example.net', attempt: 1, body: 'Subject: x\r\n\r\nhi\r\n' };
  assert.deepEqual(parseDeliveryTask(task), task);
  assert.deepEqual(parseDeliveryTask(JSON.stringify(task)), task);
  const legacy = { v: 1, messageId: 'm', recipient: 'a@example.net' };
  assert.deepEqual(parseDeliveryTask(legacy), legacy, 'tasks queued before attempts were numbered still run');
  const bad = [
    null,
    'not json',
    42,
    { ...task, v: 3 },
    { v: 2, messageId: 'm', recipient: 'a@example.net' },
    { ...task, attempt: 0 },
    { ...task, attempt: 1.5 },
    { ...task, body: 7 },
    { ...task, bodyBase64: {} },
    { v: 1, messageId: 'm' },
    { ...legacy, recipient: '' },
  ];
  for (const input of bad) assert.equal(parseDeliveryTask(input), undefined, JSON.stringify(input));
});

test("a held task's slot and warm-up count are read back; ones that do not parse are dropped, not fatal", FILE_TIMEOUT, () => {
  const task = { v: 2, messageId: 'm', recipient: 'a@example.net', attempt: 1, slotAt: '2026-03-01T11:00:00.000Z', countedAt: '2026-03-01T10:00:00.000Z' };
  assert.deepEqual(parseDeliveryTask(JSON.stringify(task)), task);
  const { slotAt, countedAt, ...plain } = task;
  void slotAt;
  void countedAt;
  assert.deepEqual(parseDeliveryTask({ ...task, slotAt: 'soon', countedAt: 12 }), plain);
});

test("a held task's hosts travel with its slot and count; without them, or without a slot, there are none", FILE_TIMEOUT, () => {
  const held = {
    v: 2,
    messageId: 'm',
    recipient: 'a@example.net',
    attempt: 1,
    slotAt: '2026-03-01T11:00:00.000Z',
    slotHost: 'second',
    countedAt: '2026-03-01T10:00:00.000Z',
    countedHost: 'third',
  };
  assert.deepEqual(parseDeliveryTask(JSON.stringify(held)), held);
  const old = { v: 2, messageId: 'm', recipient: 'a@example.net', attempt: 1, slotAt: '2026-03-01T11:00:00.000Z' };
  assert.deepEqual(parseDeliveryTask(old), old, 'a task from before the field: reserved under default');
  assert.deepEqual(parseDeliveryTask({ ...old, slotHost: 7, countedHost: 'third' }), old, 'a host that is no name, or with no count, is dropped');
});

test('a small 7-bit message travels in its task as text, round trip exact', FILE_TIMEOUT, () => {
  const raw = Buffer.from('From: a@example.com\r\nSubject: =?UTF-8?B?5pel5pys?=\r\n\r\nline\ttab\r\n');
  const task = newDeliveryTask('m', 'r@example.net', 1, encodeInlineBody(raw));
  assert.equal(typeof task.body, 'string');
  assert.equal(task.bodyBase64, undefined);
  assert.deepEqual(inlineBody(parseDeliveryTask(JSON.stringify(task))!), raw);
});

test('a small message with 8-bit bytes travels as base64, round trip exact', FILE_TIMEOUT, () => {
  const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.from('日本語', 'utf8'), Buffer.from([0, 0xff])]);
  const task = newDeliveryTask('m', 'r@example.net', 2, encodeInlineBody(raw));
  assert.equal(task.body, undefined);
  assert.deepEqual(inlineBody(parseDeliveryTask(JSON.stringify(task))!), raw);
  assert.equal(task.attempt, 2);
});

test('a message too large for a queue message stays in its blob', FILE_TIMEOUT, () => {
  const big = Buffer.alloc(MAX_TASK_CHARS, 'a');
  assert.equal(inlineBody(newDeliveryTask('m', 'r@example.net', 1, encodeInlineBody(big))), undefined);
  // Line ends double in JSON (\r\n is four characters): the whole task, not the body, must fit.
  const lines = Buffer.from('ab\r\n'.repeat(Math.floor(MAX_TASK_CHARS / 5)));
  assert.ok(lines.length < MAX_TASK_CHARS);
  const task = newDeliveryTask('m', 'r@example.net', 1, encodeInlineBody(lines));
  assert.equal(inlineBody(task), undefined);
  assert.ok(JSON.stringify(newDeliveryTask('m', 'r@example.net', 1, encodeInlineBody(Buffer.alloc(1000, 'a')))).length <= MAX_TASK_CHARS);
  assert.equal(inlineBody(newDeliveryTask('m', 'r@example.net', 1, undefined)), undefined);
  // The largest body that still travels inline leaves room for the longest recipient address.
  let size = MAX_TASK_CHARS;
  while (encodeInlineBody(Buffer.alloc(size, 'a')) === undefined) size -= 64;
  const longest = `${'a'.repeat(64)}@${'b'.repeat(185)}.example`;
  const fullest = newDeliveryTask('01a227ac-2dd6-769c-99a9-c524304fdc2c', longest, 99_999, encodeInlineBody(Buffer.alloc(size, 'a')));
  assert.ok(JSON.stringify(fullest).length <= MAX_TASK_CHARS, `${JSON.stringify(fullest).length} characters`);
});

test("the time of the accept's suppression lookup travels; one that does not parse is dropped (the delivery looks again)", FILE_TIMEOUT, () => {
  const task = { v: 2 as const, messageId: 'm', recipient: 'a@example.net', attempt: 1, suppressionsReadAt: '2026-03-01T10:00:00.000Z' };
  assert.deepEqual(parseDeliveryTask(JSON.stringify(task)), task);
  const { suppressionsReadAt, ...plain } = task;
  void suppressionsReadAt;
  for (const bad of ['soon', 12, null]) assert.deepEqual(parseDeliveryTask({ ...task, suppressionsReadAt: bad }), plain, String(bad));
});
