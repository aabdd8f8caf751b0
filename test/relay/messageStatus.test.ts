// The status view against the in-memory ports: one read of the message's rows, nothing for an id
// that cannot be ours, and 503 when storage does not answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { getMessageView } from '../../src/relay/messageStatus';
import { NotFoundError, StorageUnavailableError } from '../../src/errors';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const AT = new Date('2026-03-01T10:00:00.000Z');

function row(messageId: string, recipientKey: string, changes: Partial<DeliveryRow>): DeliveryRow {
  return {
    messageId,
    recipientKey,
    address: recipientKey,
    status: 'queued',
    attempts: 0,
    from: 'app@example.com',
    subject: 'Hi',
    tags: { team: 'a' },
    queuedAt: AT,
    updatedAt: AT,
    ...changes,
  };
}

test('a message is queued until every recipient is final, then completed', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  const id = newMessageId(AT);
  relay.deliveries.seed(row(id, 'a@example.net', { status: 'sent', attempts: 1, smtpCode: 250, response: '250 ok', updatedAt: new Date(AT.getTime() + 5000) }));
  relay.deliveries.seed(row(id, 'b@example.net', { status: 'deferred', attempts: 1, nextAttemptAt: new Date(AT.getTime() + 60_000) }));
  const view = await getMessageView(relay.deps, id);
  assert.deepEqual(relay.calls, ['deliveries.listMessage']);
  assert.equal(view.status, 'queued');
  assert.equal(view.createdAt, AT.toISOString());
  assert.equal(view.updatedAt, '2026-03-01T10:00:05.000Z');
  assert.deepEqual(view.tags, { team: 'a' });
  const b = view.recipients.find((r) => r.address === 'b@example.net');
  assert.deepEqual(b, {
    address: 'b@example.net',
    status: 'deferred',
    attempts: 1,
    smtpCode: null,
    enhancedCode: null,
    response: null,
    category: null,
    updatedAt: AT.toISOString(),
    nextAttemptAt: '2026-03-01T10:01:00.000Z',
    heldBy: null,
    smartHost: null,
  });

  relay.deliveries.seed(row(id, 'b@example.net', { status: 'bounced', attempts: 2 }));
  assert.equal((await getMessageView(relay.deps, id)).status, 'completed');
});

test('an unknown id is 404; an id that is not one of ours is 404 without a read', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  await assert.rejects(getMessageView(relay.deps, newMessageId(AT)), NotFoundError);
  assert.deepEqual(relay.calls, ['deliveries.listMessage']);
  await assert.rejects(getMessageView(relay.deps, "x' or 1 eq 1"), NotFoundError);
  assert.deepEqual(relay.calls, ['deliveries.listMessage']);
});

test('storage down is StorageUnavailableError (503), not a 500', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('deliveries.listMessage');
  await assert.rejects(getMessageView(relay.deps, newMessageId(AT)), StorageUnavailableError);
});
