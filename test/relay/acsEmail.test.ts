// The ACS drop-in's use-cases against the in-memory ports: a signed send goes through acceptMessage
// (the same writes as POST /api/v1/messages), its refusals name ACS's fields and change nothing, an
// Operation-Id is the idempotency key, and the operation's status is read from the message's rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AcsHttpRequest, getAcsOperation, sendAcsEmail } from '../../src/relay/acsEmail';
import { IdempotencyConflictError, NotConfiguredError, NotFoundError, SenderNotAllowedError, UnauthorizedError, ValidationError } from '../../src/errors';
import { acsSignedHeaders } from '../support/acsSigning';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const KEY = Buffer.from('the-relay-acs-access-key-for-use-case-tests').toString('base64');
const ORIGIN = 'https://relay.example.net';
const SEND_URL = `${ORIGIN}/emails:send?api-version=2025-09-01`;
const EMAIL = {
  senderAddress: 'app@example.com',
  content: { subject: 'Hello', plainText: 'Hello there.' },
  recipients: { to: [{ address: 'user@example.net', displayName: 'User' }] },
};

async function signed(method: string, url: string, body: unknown = '', extra: Record<string, string> = {}, key = KEY): Promise<AcsHttpRequest> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { ...(await acsSignedHeaders(key, method, url, text)), 'content-type': 'application/json', ...extra };
  return { method, url, header: (name) => headers[name.toLowerCase()] ?? null, body: Buffer.from(text) };
}

const relayWithKey = () => new FakeRelay({ RELAY_ACS_ACCESS_KEY: KEY });

test('a signed send is accepted as a relay message: 202 Running, its poll URL at the host it came to', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const answer = await sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL), new FakeLog());
  assert.equal(answer.result.status, 'Running');
  assert.equal(answer.operationLocation, `${ORIGIN}/emails/operations/${answer.result.id}?api-version=2025-09-01`);
  assert.equal(answer.retryAfterSeconds, 1);
  // exactly what POST /api/v1/messages costs
  assert.deepEqual(relay.calls, ['suppressions.find', 'messageIndex.add', 'queue.enqueue', 'deliveries.insertMessage']);
  const row = relay.deliveries.row(answer.result.id, 'user@example.net');
  assert.equal(row?.status, 'queued');
  assert.equal(row?.subject, 'Hello');
});

test('the poll URL keeps the scheme a front end reports, and the 2023-03-31 api-version', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const url = 'http://relay.example.net/emails:send?api-version=2023-03-31';
  const answer = await sendAcsEmail(relay.deps, await signed('POST', url, EMAIL, { 'x-forwarded-proto': 'https' }), new FakeLog());
  assert.equal(answer.operationLocation, `https://relay.example.net/emails/operations/${answer.result.id}?api-version=2023-03-31`);
  const odd = await sendAcsEmail(relay.deps, await signed('POST', url, EMAIL, { 'x-forwarded-proto': 'javascript' }), new FakeLog());
  assert.match(odd.operationLocation, /^http:\/\/relay\.example\.net\//);
});

test('refusals: no key set 503, unsigned or wrongly signed 401, api-version 400, fields named as ACS names them', FILE_TIMEOUT, async () => {
  const unset = new FakeRelay();
  await assert.rejects(sendAcsEmail(unset.deps, await signed('POST', SEND_URL, EMAIL), new FakeLog()), NotConfiguredError);
  await assert.rejects(getAcsOperation(unset.deps, await signed('GET', SEND_URL), 'x'), NotConfiguredError);
  const relay = relayWithKey();
  const other = Buffer.from('not-the-relay-key-not-the-relay-key-000').toString('base64');
  await assert.rejects(sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL, {}, other), new FakeLog()), UnauthorizedError);
  const noAuth = await signed('POST', SEND_URL, EMAIL, { authorization: '' });
  await assert.rejects(sendAcsEmail(relay.deps, noAuth, new FakeLog()), /ACS Email: no Authorization header/);
  const wrongVersion = await signed('POST', SEND_URL.replace('2025-09-01', '2024-07-01-preview'), EMAIL);
  await assert.rejects(sendAcsEmail(relay.deps, wrongVersion, new FakeLog()), (err: ValidationError) => err.errors[0]?.field === 'api-version');
  const fieldsOf = async (body: unknown, extra: Record<string, string> = {}) => {
    const err = await sendAcsEmail(relay.deps, await signed('POST', SEND_URL, body, extra), new FakeLog()).catch((e: unknown) => e);
    assert.ok(err instanceof ValidationError, String(err));
    return err.errors.map((e) => e.field);
  };
  assert.deepEqual(await fieldsOf({ ...EMAIL, recipients: { to: [{ address: 'not-an-address' }] } }), ['recipients.to[0]']);
  assert.deepEqual(await fieldsOf({ ...EMAIL, content: { subject: 'a\r\nBcc: x@example.net', plainText: 'x' } }), ['content.subject']);
  assert.deepEqual(await fieldsOf({ ...EMAIL, recipients: { to: [] } }), ['recipients']);
  assert.deepEqual(await fieldsOf({ ...EMAIL, headers: { 'Reply-To': 'x@example.net' } }), ['headers.Reply-To']);
  assert.deepEqual(await fieldsOf({ ...EMAIL, zz: 1 }), ['zz']);
  assert.deepEqual(await fieldsOf('{"senderAddress": '), ['(body)']);
  assert.deepEqual(await fieldsOf(EMAIL, { 'operation-id': 'not-a-uuid' }), ['Operation-Id']);
  await assert.rejects(
    sendAcsEmail(relay.deps, await signed('POST', SEND_URL, { ...EMAIL, senderAddress: 'app@elsewhere.example' }), new FakeLog()),
    SenderNotAllowedError,
  );
  await assert.rejects(sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL, { 'content-type': 'text/plain' }), new FakeLog()), /application\/json/);
  assert.deepEqual(relay.calls, [], 'nothing was read or written for a refused request');
});

test('an Operation-Id is the idempotency key: the same body replays the operation, another is a conflict', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const operationId = '5F0C3A4E-1B2D-4C3E-8F9A-0B1C2D3E4F50';
  const first = await sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL, { 'operation-id': operationId }), new FakeLog());
  assert.deepEqual([...relay.idempotency.reservations.keys()], [`acs-operation:${operationId.toLowerCase()}`]);
  const again = await sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL, { 'operation-id': operationId.toLowerCase() }), new FakeLog());
  assert.equal(again.result.id, first.result.id);
  assert.equal(relay.queue.tasks.length, 1);
  const changed = { ...EMAIL, content: { subject: 'Other', plainText: 'x' } };
  await assert.rejects(
    sendAcsEmail(relay.deps, await signed('POST', SEND_URL, changed, { 'operation-id': operationId }), new FakeLog()),
    IdempotencyConflictError,
  );
});

test("the operation's status from the rows, with one read; an id that is not ours or not there is 404", FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const { result } = await sendAcsEmail(relay.deps, await signed('POST', SEND_URL, EMAIL), new FakeLog());
  const pollUrl = (id: string) => `${ORIGIN}/emails/operations/${id}?api-version=2025-09-01`;
  relay.calls.length = 0;
  const running = await getAcsOperation(relay.deps, await signed('GET', pollUrl(result.id)), result.id);
  assert.deepEqual(running.result, { id: result.id, status: 'Running' });
  assert.deepEqual(relay.calls, ['deliveries.listMessage']);
  const row = relay.deliveries.row(result.id, 'user@example.net')!;
  relay.deliveries.seed({ ...row, status: 'bounced', response: '550 5.1.1 unknown' });
  const failed = await getAcsOperation(relay.deps, await signed('GET', pollUrl(result.id)), result.id);
  assert.equal(failed.result.status, 'Failed');
  assert.equal(failed.result.error?.code, 'EmailDropped');
  relay.deliveries.seed({ ...row, status: 'sent', response: '250 ok' });
  assert.equal((await getAcsOperation(relay.deps, await signed('GET', pollUrl(result.id)), result.id)).result.status, 'Succeeded');
  relay.calls.length = 0;
  await assert.rejects(getAcsOperation(relay.deps, await signed('GET', pollUrl('nope')), 'nope'), NotFoundError);
  assert.deepEqual(relay.calls, [], 'an id that cannot be a message id is not looked up');
  const absent = '0190a0b0-0000-7000-8000-000000000000';
  await assert.rejects(getAcsOperation(relay.deps, await signed('GET', pollUrl(absent)), absent), NotFoundError);
  // a poll signed for another operation's URL does not read this one
  await assert.rejects(getAcsOperation(relay.deps, { ...(await signed('GET', pollUrl(absent))), url: pollUrl(result.id) }, result.id), UnauthorizedError);
});
