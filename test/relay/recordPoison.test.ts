// The poison recorder against the in-memory ports: a task the queue gave up on fails its recipient
// with the reason, once, and never overwrites a final outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { recordPoisonTask } from '../../src/relay/recordPoison';
import { type DeliveryRow, RowChangedError } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const AT = new Date('2026-03-01T10:00:00.000Z');
const RECIPIENT = 'rcpt@example.net';

function seeded(changes: Partial<DeliveryRow> = {}) {
  const relay = new FakeRelay({}, AT);
  const id = newMessageId(AT);
  relay.deliveries.seed({
    messageId: id,
    recipientKey: RECIPIENT,
    address: RECIPIENT,
    status: 'deferred',
    attempts: 2,
    response: '451 later',
    from: 'app@example.com',
    subject: 's',
    tags: {},
    queuedAt: AT,
    updatedAt: AT,
    ...changes,
  });
  return { relay, id, task: { v: 2 as const, messageId: id, recipient: RECIPIENT, attempt: 3 }, log: new FakeLog() };
}

test('a poison task fails its recipient, keeps the last reply and records the event', FILE_TIMEOUT, async () => {
  const { relay, id, task, log } = seeded();
  await recordPoisonTask(relay.deps, task, log);
  const row = relay.deliveries.row(id, RECIPIENT)!;
  assert.equal(row.status, 'failed');
  assert.equal(row.response, 'the relay could not process this delivery (moved to deliveries-poison after repeated failures); last reply: 451 later');
  assert.deepEqual(
    relay.events.recorded.map((e) => e.row.status),
    ['failed'],
  );
  assert.equal(log.lines[0]?.level, 'error');
});

test('a final row is left as it is', FILE_TIMEOUT, async () => {
  const { relay, id, task, log } = seeded({ status: 'sent' });
  await recordPoisonTask(relay.deps, task, log);
  assert.equal(relay.deliveries.row(id, RECIPIENT)?.status, 'sent');
  assert.deepEqual(relay.calls, ['deliveries.get']);
  assert.match(log.text(), /poison task ignored, already sent/);
});

test('no row: nothing to record', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, AT);
  const log = new FakeLog();
  await recordPoisonTask(relay.deps, { v: 1, messageId: newMessageId(AT), recipient: RECIPIENT }, log);
  assert.match(log.text(), /poison task has no delivery row; nothing to record/);
});

test('a row that changed meanwhile is read again', FILE_TIMEOUT, async () => {
  const { relay, id, task, log } = seeded();
  relay.fail('deliveries.replace', new RowChangedError('changed'));
  await recordPoisonTask(relay.deps, task, log);
  assert.equal(relay.deliveries.row(id, RECIPIENT)?.status, 'failed');
  assert.equal(relay.calls.filter((c) => c === 'deliveries.get').length, 2);
});
