// acceptMessage against the in-memory ports: what one accept writes, in which order, and that a
// failure anywhere leaves nothing behind (the deliveries rows are the commit point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptMessage, type AcceptInput } from '../../src/relay/acceptMessage';
import { inlineBody } from '../../src/core/deliveryTask';
import { IdempotencyConflictError, SenderNotAllowedError, StorageUnavailableError, ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function input(message: Record<string, unknown>, idempotencyKey: string | null = null): AcceptInput {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(message)), idempotencyKey };
}

const HELLO = { from: 'App <app@example.com>', to: 'user@example.net', subject: 'Hello', text: 'Hello there.' };

test('a small message costs a suppression lookup, its index row, one task and one row; its body travels in the task', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  const { answer, replayed } = await acceptMessage(relay.deps, input(HELLO), new FakeLog());
  assert.equal(replayed, false);
  assert.deepEqual(answer.recipients, [{ address: 'user@example.net', status: 'queued' }]);
  assert.deepEqual(relay.calls, ['suppressions.find', 'messageIndex.add', 'queue.enqueue', 'deliveries.insertMessage']);
  assert.deepEqual([...relay.messageIndex.rows.keys()], [answer.id]);
  const task = relay.queue.tasks[0].task;
  // the time of the suppression lookup travels too, so the delivery can skip its own while the list is unchanged
  const readAt = relay.clock.now().toISOString();
  assert.deepEqual(
    { ...task, body: undefined },
    { v: 2, messageId: answer.id, recipient: 'user@example.net', attempt: 1, body: undefined, suppressionsReadAt: readAt },
  );
  assert.match(inlineBody(task)!.toString('latin1'), /^Subject: Hello$/m);
  const row = relay.deliveries.row(answer.id, 'user@example.net');
  assert.equal(row?.status, 'queued');
  assert.equal(row?.attempts, 0);
});

test('a large message goes to a blob first; each recipient gets a task without the body', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  const { answer } = await acceptMessage(relay.deps, input({ ...HELLO, to: ['a@example.net', 'B@example.net'], text: 'x'.repeat(100_000) }), new FakeLog());
  assert.deepEqual(relay.calls, [
    'suppressions.find',
    'suppressions.find',
    'bodies.put',
    'messageIndex.add',
    'queue.enqueue',
    'queue.enqueue',
    'deliveries.insertMessage',
  ]);
  assert.ok(relay.bodies.bodies.get(answer.id)!.length > 100_000);
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task.recipient, inlineBody(t.task)]),
    [
      ['a@example.net', undefined],
      ['b@example.net', undefined],
    ],
  );
  assert.equal(relay.deliveries.row(answer.id, 'b@example.net')?.address, 'B@example.net');
});

test('all or nothing: rows refused, so the tasks, the blob and the key reservation are taken back', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('deliveries.insertMessage');
  const log = new FakeLog();
  await assert.rejects(
    acceptMessage(relay.deps, input({ ...HELLO, to: ['a@example.net', 'b@example.net'], text: 'x'.repeat(100_000) }, 'key-1'), log),
    StorageUnavailableError,
  );
  assert.deepEqual(relay.queue.tasks, []);
  assert.equal(relay.bodies.bodies.size, 0);
  assert.equal(relay.deliveries.rows.size, 0);
  assert.equal(relay.idempotency.reservations.size, 0);
  assert.equal(relay.messageIndex.rows.size, 0, 'the index rows are taken back too');
  assert.match(log.text(), /accept failed \(.*injected failure of deliveries.insertMessage.*\); undoing what was written/);
});

test('all or nothing: one task refused, so the others are deleted and no row is written', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('queue.enqueue');
  await assert.rejects(
    acceptMessage(relay.deps, input({ ...HELLO, to: ['a@example.net', 'b@example.net', 'c@example.net'] }), new FakeLog()),
    StorageUnavailableError,
  );
  assert.deepEqual(relay.queue.tasks, []);
  assert.equal(relay.calls.filter((c) => c === 'queue.delete').length, 2);
  assert.ok(!relay.calls.includes('deliveries.insertMessage'));
  assert.equal(relay.messageIndex.rows.size, 0);
});

test('all or nothing: the index write refused, so the tasks are deleted and no row is written', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('messageIndex.add');
  await assert.rejects(acceptMessage(relay.deps, input({ ...HELLO, to: ['a@example.net', 'b@example.net'] }), new FakeLog()), StorageUnavailableError);
  assert.deepEqual(relay.queue.tasks, []);
  assert.equal(relay.deliveries.rows.size, 0);
  assert.ok(!relay.calls.includes('messageIndex.remove'), 'nothing of the index was written, so nothing is taken back');
});

test('an undo that fails is logged and the accept still answers 503', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('deliveries.insertMessage');
  relay.fail('queue.delete');
  const log = new FakeLog();
  await assert.rejects(acceptMessage(relay.deps, input(HELLO), log), StorageUnavailableError);
  assert.match(log.text(), /could not remove the queue task \(.*\); it is inert without delivery rows/);
});

test('the same Idempotency-Key and body replays the first answer and queues nothing new', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  const first = await acceptMessage(relay.deps, input(HELLO, 'key-2'), new FakeLog());
  const again = await acceptMessage(relay.deps, input(HELLO, 'key-2'), new FakeLog());
  assert.equal(again.replayed, true);
  assert.deepEqual(again.answer, first.answer);
  assert.equal(relay.queue.tasks.length, 1);
  assert.equal(relay.messageIndex.rows.size, 1, 'a replay is not indexed again');
  await assert.rejects(acceptMessage(relay.deps, input({ ...HELLO, subject: 'Other' }, 'key-2'), new FakeLog()), IdempotencyConflictError);
});

test('refusals write nothing: a sender outside the allowed domains, an invalid request', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  await assert.rejects(acceptMessage(relay.deps, input({ ...HELLO, from: 'x@elsewhere.example' }), new FakeLog()), SenderNotAllowedError);
  await assert.rejects(acceptMessage(relay.deps, input({ ...HELLO, to: [] }), new FakeLog()), ValidationError);
  assert.deepEqual(relay.calls, []);
});
