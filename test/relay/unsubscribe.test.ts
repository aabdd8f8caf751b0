// The unsubscribe use-cases against the in-memory ports: reading a link changes nothing; posting it
// suppresses the address for its sender domain once; a bad link or a storage failure changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { signUnsubscribeToken } from '../../src/core/unsubscribeToken';
import { checkOneClickBodyLength, readUnsubscribeLink, unsubscribe } from '../../src/relay/unsubscribe';
import { NotFoundError, PayloadTooLargeError, StorageUnavailableError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const SECRET = 'a-test-secret-of-at-least-32-characters';
const READY = { RELAY_PUBLIC_URL: 'https://relay.example.com', RELAY_UNSUBSCRIBE_SECRET: SECRET };
const START = new Date('2026-03-01T10:00:00.000Z');
const MESSAGE = newMessageId(START);
const LINK = { recipient: 'user@example.net', senderDomain: 'example.com', messageId: MESSAGE, issuedAt: START };
const TOKEN = signUnsubscribeToken(LINK, SECRET);

function relay(settings: Record<string, string> = READY) {
  const fake = new FakeRelay(settings, new Date(START.getTime() + 86_400_000));
  return { fake, log: new FakeLog() };
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => assert.fail('it succeeded'),
    (err: unknown) => err,
  );
}

test('reading a link gives what it is about and touches no storage', FILE_TIMEOUT, () => {
  const { fake, log } = relay();
  assert.deepEqual(readUnsubscribeLink(fake.deps, TOKEN, log), LINK);
  assert.deepEqual(fake.calls, []);
});

test('posting it suppresses the address for that sender domain only, with the message that caused it', FILE_TIMEOUT, async () => {
  const { fake, log } = relay();
  const result = await unsubscribe(fake.deps, TOKEN, log);
  assert.deepEqual(result, { link: LINK, added: true });
  assert.deepEqual(fake.calls, ['suppressions.find', 'suppressions.put']);
  assert.deepEqual(
    [...fake.suppressions.entries.values()],
    [
      {
        address: 'user@example.net',
        scope: 'example.com',
        reason: 'one-click unsubscribe (RFC 8058)',
        source: 'unsubscribe',
        createdAt: fake.clock.now(),
        messageId: MESSAGE,
      },
    ],
  );
  assert.match(log.text(), /unsubscribe: message .*: user@example\.net from sender domain example\.com: suppressed/);
  assert.doesNotMatch(log.text(), new RegExp(TOKEN.split('.')[1].replace(/[-]/g, '\\-')), 'the token is not logged');
});

test('a second post keeps the first entry as it was: one find, no write', FILE_TIMEOUT, async () => {
  const { fake, log } = relay();
  await unsubscribe(fake.deps, TOKEN, log);
  const first = [...fake.suppressions.entries.values()];
  fake.clock.advance(60_000);
  fake.calls.length = 0;
  assert.equal((await unsubscribe(fake.deps, TOKEN, log)).added, false);
  assert.deepEqual(fake.calls, ['suppressions.find']);
  assert.deepEqual([...fake.suppressions.entries.values()], first);
});

test('an expired entry of that scope is replaced; an entry for every sender does not stand in for it', FILE_TIMEOUT, async () => {
  const { fake, log } = relay();
  const past = new Date(START.getTime() - 1000);
  fake.suppressions.seed({ address: 'user@example.net', scope: 'example.com', reason: 'old', source: 'manual', createdAt: past, expiresAt: START });
  fake.suppressions.seed({ address: 'user@example.net', scope: 'all', reason: 'bounce', source: 'bounce', createdAt: past, category: 'invalid-recipient' });
  assert.equal((await unsubscribe(fake.deps, TOKEN, log)).added, true);
  const entry = fake.suppressions.entries.get('user@example.net\nexample.com');
  assert.equal(entry?.source, 'unsubscribe');
  assert.equal(entry?.expiresAt, undefined, 'an unsubscribe does not expire');
  assert.equal(fake.suppressions.entries.get('user@example.net\nall')?.reason, 'bounce');
});

test('a forged, altered or garbled token is not found, and nothing is read or written', FILE_TIMEOUT, async () => {
  const { fake, log } = relay();
  const forged = signUnsubscribeToken(LINK, 'some-other-secret-of-32-characters-at-least');
  for (const token of [forged, `${TOKEN}x`, TOKEN.replace('.', ''), '', '..', 'a'.repeat(5000)]) {
    assert.ok((await rejection(unsubscribe(fake.deps, token, log))) instanceof NotFoundError, token);
    assert.throws(() => readUnsubscribeLink(fake.deps, token, log), NotFoundError);
  }
  assert.deepEqual(fake.calls, []);
});

test('without RELAY_UNSUBSCRIBE_SECRET no link is valid, and a warning names the setting', FILE_TIMEOUT, () => {
  const { fake, log } = relay({});
  assert.throws(() => readUnsubscribeLink(fake.deps, TOKEN, log), NotFoundError);
  assert.match(log.text(), /warn: unsubscribe: RELAY_UNSUBSCRIBE_SECRET is not set/);
});

test('storage failing on the read or the write: 503, and no entry', FILE_TIMEOUT, async () => {
  for (const operation of ['suppressions.find', 'suppressions.put']) {
    const { fake, log } = relay();
    fake.fail(operation);
    const err = await rejection(unsubscribe(fake.deps, TOKEN, log));
    assert.ok(err instanceof StorageUnavailableError, `${operation}: ${String(err)}`);
    assert.equal(fake.suppressions.entries.size, 0);
  }
});

test('a one-click body longer than 4096 bytes is refused', FILE_TIMEOUT, () => {
  assert.doesNotThrow(() => checkOneClickBodyLength(4096));
  assert.throws(() => checkOneClickBodyLength(4097), PayloadTooLargeError);
});
