// acceptMessage and the suppression list, against the in-memory ports: a suppressed recipient gets a
// row saying why and no task, the request stays all-or-nothing, and the lookup costs one query per
// recipient, made before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptMessage, type AcceptInput } from '../../src/relay/acceptMessage';
import { getMessageView } from '../../src/relay/messageStatus';
import type { SuppressionEntry } from '../../src/core/suppression';
import { StorageUnavailableError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const NOW = new Date('2026-03-01T10:00:00.000Z');
const HELLO = { from: 'App <app@example.com>', to: ['Gone@example.net', 'ok@example.net'], subject: 'Hello', text: 'Hello there.' };

function input(message: Record<string, unknown>, idempotencyKey: string | null = null): AcceptInput {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(message)), idempotencyKey };
}

function entry(changes: Partial<SuppressionEntry> = {}): SuppressionEntry {
  return {
    address: 'gone@example.net',
    scope: 'all',
    reason: '550 5.1.1 user unknown',
    category: 'invalid-recipient',
    source: 'bounce',
    createdAt: new Date(NOW.getTime() - 86_400_000),
    messageId: 'earlier-message',
    ...changes,
  };
}

test('a suppressed recipient: "suppressed" in the answer, a row naming the entry, no task', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  const { answer } = await acceptMessage(relay.deps, input(HELLO), new FakeLog());
  assert.equal(answer.status, 'queued');
  assert.deepEqual(answer.recipients, [
    { address: 'Gone@example.net', status: 'suppressed' },
    { address: 'ok@example.net', status: 'queued' },
  ]);
  assert.deepEqual(
    relay.queue.tasks.map((t) => t.task.recipient),
    ['ok@example.net'],
  );
  const row = relay.deliveries.row(answer.id, 'gone@example.net')!;
  assert.equal(row.status, 'suppressed');
  assert.equal(row.category, 'invalid-recipient');
  assert.equal(row.response, 'not sent: gone@example.net is on the suppression list for every sender (source bounce: 550 5.1.1 user unknown)');
  assert.deepEqual(
    relay.events.recorded.map((e) => [e.row.recipientKey, e.row.status]),
    [['gone@example.net', 'suppressed']],
  );
  // one lookup per recipient, before anything is written; the rows in one commit; then the one event
  assert.deepEqual(relay.calls, ['suppressions.find', 'suppressions.find', 'messageIndex.add', 'queue.enqueue', 'deliveries.insertMessage', 'events.record']);
});

test('without a suppressed recipient the accept costs exactly one lookup more per recipient, and writes no event', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  await acceptMessage(relay.deps, input({ ...HELLO, to: ['a@example.net', 'b@example.net', 'c@example.net'] }), new FakeLog());
  assert.deepEqual(relay.calls, [
    'suppressions.find',
    'suppressions.find',
    'suppressions.find',
    'messageIndex.add',
    'queue.enqueue',
    'queue.enqueue',
    'queue.enqueue',
    'deliveries.insertMessage',
  ]);
});

test('every recipient suppressed: completed at once, no task and no blob, even for a large message', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  relay.suppressions.seed(entry({ address: 'ok@example.net', source: 'manual', category: undefined, reason: 'asked us to stop' }));
  const { answer } = await acceptMessage(relay.deps, input({ ...HELLO, text: 'x'.repeat(100_000) }), new FakeLog());
  assert.equal(answer.status, 'completed');
  assert.equal(relay.queue.tasks.length, 0);
  assert.equal(relay.bodies.bodies.size, 0);
  const view = await getMessageView(relay.deps, answer.id);
  assert.equal(view.status, 'completed');
  assert.deepEqual(
    view.recipients.map((r) => [r.status, r.category]),
    [
      ['suppressed', 'invalid-recipient'],
      ['suppressed', null],
    ],
  );
});

test('a sender-scoped entry suppresses for that sender domain only; an expired entry not at all', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_ALLOWED_SENDER_DOMAINS: 'example.com,example.org' }, NOW);
  relay.suppressions.seed(entry({ scope: 'example.org', source: 'unsubscribe', category: undefined, reason: 'one-click unsubscribe' }));
  relay.suppressions.seed(entry({ address: 'ok@example.net', expiresAt: new Date(NOW.getTime() - 1) }));
  const fromCom = await acceptMessage(relay.deps, input(HELLO), new FakeLog());
  assert.deepEqual(
    fromCom.answer.recipients.map((r) => r.status),
    ['queued', 'queued'],
  );
  const fromOrg = await acceptMessage(relay.deps, input({ ...HELLO, from: 'news@Example.org' }), new FakeLog());
  assert.deepEqual(
    fromOrg.answer.recipients.map((r) => r.status),
    ['suppressed', 'queued'],
  );
  assert.match(relay.deliveries.row(fromOrg.answer.id, 'gone@example.net')!.response!, /for sender domain example\.org/);
});

test('storage down during the lookup: 503 and nothing written, the key released', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.fail('suppressions.find');
  await assert.rejects(acceptMessage(relay.deps, input(HELLO, 'key-1'), new FakeLog()), StorageUnavailableError);
  assert.equal(relay.queue.tasks.length, 0);
  assert.equal(relay.deliveries.rows.size, 0);
  assert.equal(relay.idempotency.reservations.size, 0);
  assert.ok(!relay.calls.includes('idempotency.reserve'), 'checked before the key is reserved');
});

test('rows refused: the suppressed row goes with the others, nothing is left and no event written', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  relay.fail('deliveries.insertMessage');
  await assert.rejects(acceptMessage(relay.deps, input(HELLO), new FakeLog()), StorageUnavailableError);
  assert.equal(relay.deliveries.rows.size, 0);
  assert.equal(relay.queue.tasks.length, 0);
  assert.equal(relay.events.recorded.length, 0);
});

test('an event row that cannot be written is logged; the accept stands', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  relay.fail('events.record');
  const log = new FakeLog();
  const { answer } = await acceptMessage(relay.deps, input(HELLO), log);
  assert.equal(relay.deliveries.row(answer.id, 'gone@example.net')?.status, 'suppressed');
  assert.match(log.text(), /error: message .*: 1 recipient\(s\) suppressed, but their event rows could not be written/);
});

test('an Idempotency-Key replay answers the same, suppressed recipient included', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  const first = await acceptMessage(relay.deps, input(HELLO, 'key-2'), new FakeLog());
  await relay.suppressions.delete('gone@example.net');
  const again = await acceptMessage(relay.deps, input(HELLO, 'key-2'), new FakeLog());
  assert.equal(again.replayed, true);
  assert.deepEqual(again.answer, first.answer);
  assert.equal(relay.queue.tasks.length, 1);
});
