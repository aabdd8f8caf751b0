// The send request's "unsubscribe" field: its checks, the headers it makes relay-owned, the row that
// keeps it, and the refusal when the relay is not set up to make links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptMessage, type AcceptInput } from '../../src/relay/acceptMessage';
import { inlineBody } from '../../src/core/deliveryTask';
import { validateSendRequest } from '../../src/core/sendRequest';
import { ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const HELLO = { from: 'App <app@example.com>', to: ['a@example.net', 'b@example.net'], subject: 'Hello', text: 'Hello there.' };
const READY = { RELAY_PUBLIC_URL: 'https://relay.example.com', RELAY_UNSUBSCRIBE_SECRET: 'a-test-secret-of-at-least-32-characters' };

function input(message: Record<string, unknown>): AcceptInput {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(message)), idempotencyKey: null };
}

function errorsOf(body: Record<string, unknown>) {
  const validated = validateSendRequest(body, { maxRecipients: 10 });
  return validated.ok ? [] : validated.errors;
}

async function refusal(relay: FakeRelay, message: Record<string, unknown>): Promise<ValidationError> {
  const err = await acceptMessage(relay.deps, input(message), new FakeLog()).then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ValidationError, String(err));
  return err;
}

test('"unsubscribe" is false unless given; true and false are taken; null counts as absent', FILE_TIMEOUT, () => {
  const read = (body: Record<string, unknown>) => {
    const validated = validateSendRequest(body, { maxRecipients: 10 });
    assert.ok(validated.ok, JSON.stringify(validated));
    return validated.value.unsubscribe;
  };
  assert.equal(read(HELLO), false);
  assert.equal(read({ ...HELLO, unsubscribe: true }), true);
  assert.equal(read({ ...HELLO, unsubscribe: false }), false);
  assert.equal(read({ ...HELLO, unsubscribe: null }), false);
});

test('"unsubscribe" of another type is a field error naming it', FILE_TIMEOUT, () => {
  for (const value of ['true', 1, 0, {}, [], 'yes']) {
    assert.deepEqual(errorsOf({ ...HELLO, unsubscribe: value }), [{ field: 'unsubscribe', message: 'must be true or false' }], JSON.stringify(value));
  }
});

test('with "unsubscribe": true the List-Unsubscribe headers are the relay\'s: refused, whatever their case', FILE_TIMEOUT, () => {
  const headers = { 'list-unsubscribe': '<https://app.example.com/u>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Other': 'kept' };
  assert.deepEqual(
    errorsOf({ ...HELLO, unsubscribe: true, headers }).map((e) => e.field),
    ['headers.list-unsubscribe', 'headers.List-Unsubscribe-Post'],
  );
  assert.match(errorsOf({ ...HELLO, unsubscribe: true, headers })[0]?.message ?? '', /written by the relay because "unsubscribe" is true/);
});

test('without "unsubscribe" a caller may still give its own List-Unsubscribe headers, as before', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay(READY);
  const headers = { 'List-Unsubscribe': '<https://app.example.com/u/1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  const { answer } = await acceptMessage(relay.deps, input({ ...HELLO, headers }), new FakeLog());
  const raw = inlineBody(relay.queue.tasks[0].task)!.toString('latin1');
  assert.match(raw, /^List-Unsubscribe: <https:\/\/app\.example\.com\/u\/1>$/m);
  assert.equal(relay.deliveries.row(answer.id, 'a@example.net')?.unsubscribe, undefined);
});

test('the rows of a send with "unsubscribe": true keep it; the composed body has no header yet', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay(READY);
  const { answer } = await acceptMessage(relay.deps, input({ ...HELLO, unsubscribe: true }), new FakeLog());
  assert.equal(relay.deliveries.row(answer.id, 'a@example.net')?.unsubscribe, true);
  assert.equal(relay.deliveries.row(answer.id, 'b@example.net')?.unsubscribe, true);
  assert.doesNotMatch(inlineBody(relay.queue.tasks[0].task)!.toString('latin1'), /List-Unsubscribe/i, 'each recipient gets its own at relay time');
});

test(
  'a relay without RELAY_UNSUBSCRIBE_SECRET or RELAY_PUBLIC_URL refuses "unsubscribe": true, naming the setting, and writes nothing',
  FILE_TIMEOUT,
  async () => {
    const neither = new FakeRelay();
    const err = await refusal(neither, { ...HELLO, unsubscribe: true });
    assert.equal(err.status, 400);
    assert.deepEqual(err.errors, [
      { field: 'unsubscribe', message: 'this relay cannot add unsubscribe links: RELAY_UNSUBSCRIBE_SECRET and RELAY_PUBLIC_URL are not set' },
    ]);
    assert.deepEqual(neither.calls, []);
    const noUrl = new FakeRelay({ RELAY_UNSUBSCRIBE_SECRET: READY.RELAY_UNSUBSCRIBE_SECRET });
    assert.match((await refusal(noUrl, { ...HELLO, unsubscribe: true })).errors[0]?.message ?? '', /: RELAY_PUBLIC_URL is not set$/);
    const noSecret = new FakeRelay({ RELAY_PUBLIC_URL: READY.RELAY_PUBLIC_URL });
    assert.match((await refusal(noSecret, { ...HELLO, unsubscribe: true })).errors[0]?.message ?? '', /: RELAY_UNSUBSCRIBE_SECRET is not set$/);
    // without "unsubscribe" such a relay sends as before
    assert.equal((await acceptMessage(neither.deps, input(HELLO), new FakeLog())).answer.status, 'queued');
  },
);
