// The poison tasks against the in-memory ports: recordPoison keeps the task it gave up on, the
// operator lists it and puts it back; what is put back is sent once, a recipient final for another
// reason is never sent again (requeue skips it, and decide skips a task that comes too late).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody } from '../../src/core/deliveryTask';
import { poisonId } from '../../src/core/poisonRequest';
import { recordPoisonTask } from '../../src/relay/recordPoison';
import { listPoison, requeuePoison } from '../../src/relay/poison';
import { deliverTask } from '../../src/relay/deliverTask';
import { ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow, RECIPIENT } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const AT = new Date('2026-12-01T10:00:00.000Z');
const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');

/** A recipient deferred twice whose third task the queue gave up on, recorded as poison. */
async function poisoned(relay: FakeRelay): Promise<{ id: string; messageId: string }> {
  const messageId = newMessageId(AT);
  relay.deliveries.seed(queuedRow(messageId, AT, { status: 'deferred', attempts: 2, response: '451 4.7.1 later' }));
  await recordPoisonTask(relay.deps, { v: 2, messageId, recipient: RECIPIENT, attempt: 3, ...encodeInlineBody(RAW) }, new FakeLog());
  return { id: poisonId(messageId, RECIPIENT), messageId };
}

const requeue = (relay: FakeRelay, body: unknown) =>
  requeuePoison(relay.deps, [], { contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) }, new FakeLog());

test('a poison task is kept as it came (its body too) and listed for the operator', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.status, 'failed');
  assert.deepEqual(await listPoison(relay.deps, []), {
    items: [{ id, messageId, recipient: RECIPIENT, attempts: 2, poisonedAt: AT.toISOString(), lastResponse: '451 4.7.1 later' }],
    continuationToken: null,
  });
  assert.equal(relay.poisonTasks.records.get(id)?.task.body, RAW.toString('latin1'));
});

test('put back: the row is due again, the next attempt is queued with the body, and it is sent once', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  relay.clock.advance(60_000);
  assert.deepEqual(await requeue(relay, { ids: [id] }), { requeued: 1, ids: [id], skipped: [], failed: [], more: false });
  const row = relay.deliveries.row(messageId, RECIPIENT)!;
  assert.equal(row.status, 'deferred');
  assert.equal(row.nextAttemptAt?.getTime(), relay.clock.now().getTime());
  assert.equal(relay.poisonTasks.records.size, 0);
  const [queued] = relay.queue.tasks;
  assert.deepEqual({ ...queued.task, body: undefined }, { v: 2, messageId, recipient: RECIPIENT, attempt: 3, body: undefined });
  await deliverTask(relay.deps, queued.task, new FakeLog(), { queueMessageId: queued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(relay.smartHost.sent[0].raw.toString('latin1'), RAW.toString('latin1'));
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.status, 'sent');
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.heldBy, undefined, 'the claim cleared the hold');
  // the same task once more (a duplicate) is not sent again
  await deliverTask(relay.deps, queued.task, new FakeLog(), { queueMessageId: 'q-dup', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 1);
});

test('the put-back task and a retry of the same attempt still queued, at once: one claims, one sends', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  await requeue(relay, { ids: [id] });
  const [queued] = relay.queue.tasks;
  await Promise.all(
    ['q-put-back', 'q-old-retry'].map((queueMessageId) => deliverTask(relay.deps, queued.task, new FakeLog(), { queueMessageId, dequeueCount: 1 })),
  );
  assert.equal(relay.smartHost.sent.length, 1);
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.status, 'sent');
});

test('a recipient final for another reason is not put back, and its record is dropped', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  relay.clock.advance(1000);
  relay.deliveries.seed(queuedRow(messageId, AT, { status: 'sent', attempts: 3, updatedAt: relay.clock.now() }));
  const answer = await requeue(relay, { all: true });
  assert.equal(answer.requeued, 0);
  assert.deepEqual(answer.skipped, [{ id, reason: 'the recipient is already sent; it is not sent again' }]);
  assert.deepEqual(relay.queue.tasks, []);
  assert.equal(relay.poisonTasks.records.size, 0);
});

test("decide's guard: a put-back task that finds its recipient final by then sends nothing", FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  await requeue(relay, { ids: [id] });
  // before the task runs, the recipient ends another way (an operator's suppression, a late report)
  relay.deliveries.seed(queuedRow(messageId, AT, { status: 'bounced', attempts: 2 }));
  const [queued] = relay.queue.tasks;
  const log = new FakeLog();
  await deliverTask(relay.deps, queued.task, log, { queueMessageId: queued.queueMessageId, dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 0);
  assert.match(log.text(), /skipped, already bounced/);
});

test('what fails is named and kept: an unknown id, a queue that refuses (the row is set back)', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const { id, messageId } = await poisoned(relay);
  relay.fail('queue.enqueue');
  const unknown = 'f'.repeat(32);
  const answer = await requeue(relay, { ids: [id, unknown] });
  assert.equal(answer.requeued, 0);
  assert.deepEqual(
    answer.failed.map((f) => f.id),
    [id, unknown],
  );
  assert.match(answer.failed[0].reason, /could not be queued/);
  assert.equal(answer.failed[1].reason, 'no poison task with this id');
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.status, 'failed', 'set back: no row waits for a task that is not there');
  assert.equal(relay.poisonTasks.records.size, 1);
  assert.equal((await requeue(relay, { all: true })).requeued, 1, 'and it can be put back later');
});

test('pages of the list, and bad input refused before anything is read or written', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  for (let i = 0; i < 3; i++) await poisoned(relay);
  const first = await listPoison(relay.deps, [['limit', '2']]);
  assert.equal(first.items.length, 2);
  const second = await listPoison(relay.deps, [['continuationToken', first.continuationToken!]]);
  assert.equal(second.items.length, 1);
  assert.equal(second.continuationToken, null);
  relay.calls.length = 0;
  const fields = async (action: Promise<unknown>) => {
    const err = await action.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ValidationError, String(err));
    return err.errors.map((e) => e.field);
  };
  assert.deepEqual(await fields(listPoison(relay.deps, [['limit', '0']])), ['limit']);
  assert.deepEqual(await fields(listPoison(relay.deps, [['continuationToken', 'x']])), ['continuationToken']);
  assert.deepEqual(await fields(requeue(relay, { ids: ['nope'] })), ['ids[0]']);
  assert.deepEqual(await fields(requeue(relay, { all: false })), ['all']);
  assert.deepEqual(await fields(requeue(relay, {})), ['(body)']);
  assert.deepEqual(relay.calls, []);
});

test('recording: the record is kept before the row is failed, and dropped if the row turned final meanwhile', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const messageId = newMessageId(AT);
  relay.deliveries.seed(queuedRow(messageId, AT, { status: 'deferred', attempts: 1 }));
  const task = { v: 2 as const, messageId, recipient: RECIPIENT, attempt: 2 };
  relay.fail('poisonTasks.put', Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }));
  await recordPoisonTask(relay.deps, task, new FakeLog(), { retryDelaysMs: [1], requeueDelaySeconds: 1 });
  assert.equal(relay.deliveries.row(messageId, RECIPIENT)?.status, 'failed', 'recorded on the second try');
  assert.equal(relay.poisonTasks.records.size, 1);
  assert.deepEqual(
    relay.calls.filter((c) => c.startsWith('poisonTasks') || c === 'deliveries.replace'),
    ['poisonTasks.put', 'poisonTasks.put', 'deliveries.replace'],
    'never a failed row without its record',
  );

  const raced = new FakeRelay({}, AT);
  raced.deliveries.seed(queuedRow(messageId, AT, { status: 'deferred', attempts: 1 }));
  const replace = raced.deliveries.replace.bind(raced.deliveries);
  raced.deliveries.replace = async (row, etag) => {
    // another invocation sent it just before this write
    raced.deliveries.seed(queuedRow(messageId, AT, { status: 'sent', attempts: 2 }));
    return replace(row, etag);
  };
  await recordPoisonTask(raced.deps, task, new FakeLog());
  assert.equal(raced.deliveries.row(messageId, RECIPIENT)?.status, 'sent');
  assert.equal(raced.poisonTasks.records.size, 0, 'no record for a recipient that is final');
});
