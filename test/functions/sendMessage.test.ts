// POST /api/v1/messages through the local host, against Azurite and the development smart host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ADMIN_KEY, eventually, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { waitForEveryAttemptRecorded } from '../support/storedResults';
import type { Problem } from '../../src/errors';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;

before(async () => {
  // On disk, so that the outage test can bring the same Azurite back for the tests after it.
  relay = await startRelayHarness({
    env: { RELAY_MAX_RECIPIENTS: '3', RELAY_MAX_MESSAGE_BYTES: '200000', RELAY_LOCAL_FUNCTION_KEYS: JSON.stringify({ sendMessage: 'sender-only-key' }) },
    azuriteOnDisk: true,
  });
});
after(async () => {
  await relay?.stop();
});

async function countEntities(table: 'deliveries' | 'events' | 'idempotency'): Promise<number> {
  let n = 0;
  for await (const _ of relay.clients[table].listEntities()) n++;
  return n;
}

async function countBlobs(): Promise<number> {
  let n = 0;
  for await (const _ of relay.clients.bodies.listBlobsFlat()) n++;
  return n;
}

/** What is stored, once the events of earlier tests' attempts have all landed. */
async function storedCounts() {
  await waitForEveryAttemptRecorded(relay);
  return { deliveries: await countEntities('deliveries'), events: await countEntities('events'), blobs: await countBlobs() };
}

test('accepts a message: 202, Location, one queued entry per recipient', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: ['a@example.net', 'A@Example.net'], cc: 'b@example.net', bcc: { address: 'c@example.net' } }));
  assert.equal(answer.status, 202, answer.text);
  assert.equal(answer.headers.get('location'), `/api/v1/messages/${answer.body.id}`);
  assert.deepEqual(answer.body, {
    id: answer.body.id,
    status: 'queued',
    recipients: [
      { address: 'a@example.net', status: 'queued' },
      { address: 'b@example.net', status: 'queued' },
      { address: 'c@example.net', status: 'queued' },
    ],
  });
  const done = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.deepEqual(
    done.recipients.map((r) => r.status),
    ['sent', 'sent', 'sent'],
  );
});

// Each kind of refusal, and that nothing is stored for it: test/faults/badInput.test.ts.

test('the function key is required for sending and for reading status', FILE_TIMEOUT, async () => {
  const withoutKey = await relay.request('POST', '/api/v1/messages', { body: message(), key: null });
  assert.equal(withoutKey.status, 401);
  const wrongKey = await relay.request('POST', '/api/v1/messages', { body: message(), key: 'wrong' });
  assert.equal(wrongKey.status, 401);
  const status = await relay.request('GET', '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c', { key: null });
  assert.equal(status.status, 401);
});

test('a function key opens its own function only; the master key opens every one', FILE_TIMEOUT, async () => {
  const unknownId = '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c';
  // an invalid body: past the key check, and nothing is queued
  assert.equal((await relay.request('POST', '/api/v1/messages', { body: { from: 'x' }, key: 'sender-only-key' })).status, 400);
  assert.equal((await relay.request('GET', unknownId, { key: 'sender-only-key' })).status, 401);
  assert.equal((await relay.request('GET', unknownId, { key: ADMIN_KEY })).status, 404);
  assert.equal((await relay.request('POST', '/api/v1/messages', { body: { from: 'x' }, key: ADMIN_KEY })).status, 400);
});

test('an unknown message id is 404 problem+json', FILE_TIMEOUT, async () => {
  for (const id of ['01a227ac-2dd6-769c-99a9-c524304fdc2c', 'nonsense']) {
    const answer = await relay.request('GET', `/api/v1/messages/${id}`);
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.match(answer.body.detail, /No message with id/);
  }
});

test('Idempotency-Key: the same body replays the first answer, another body is 409', FILE_TIMEOUT, async () => {
  const key = `order-${Date.now()}`;
  const body = message({ to: 'idem@example.net', tags: { order: '42' } });
  const first = await relay.send(body, { 'Idempotency-Key': key });
  assert.equal(first.status, 202);
  await relay.waitForStatus(first.body.id, (v) => v.status === 'completed');
  const reordered = Object.fromEntries(Object.entries(body).reverse());
  const again = await relay.send(reordered, { 'Idempotency-Key': key });
  assert.equal(again.status, 202);
  assert.deepEqual(again.body, first.body);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const conflict = await relay.send({ ...body, subject: 'Different' }, { 'Idempotency-Key': key });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.errors[0].field, 'Idempotency-Key');
  assert.equal(relay.smartHost.countFor('idem@example.net'), 1, 'the replay must not send again');
});

test('storage failing half way answers 503 and leaves nothing behind', FILE_TIMEOUT, async () => {
  const before = await storedCounts();
  const keysBefore = await countEntities('idempotency');
  // The queue disappears: a message too large to travel in its task has its blob written, then
  // enqueueing fails.
  const large = message({ to: 'halfway@example.net', attachments: [{ filename: 'big.bin', content: Buffer.alloc(60_000, 7).toString('base64') }] });
  await relay.clients.queue.delete();
  try {
    const answer = await relay.send(large, { 'Idempotency-Key': 'halfway-1' });
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.match(answer.body.detail, /nothing was queued/);
    assert.deepEqual(await storedCounts(), before);
    assert.equal(await countEntities('idempotency'), keysBefore, "the failed request's Idempotency-Key was released");
  } finally {
    await relay.clients.queue.createIfNotExists();
  }
  // The same request succeeds once storage is back, with the same Idempotency-Key.
  const retried = await relay.send(large, { 'Idempotency-Key': 'halfway-1' });
  assert.equal(retried.status, 202, retried.text);
  assert.equal(await countBlobs(), before.blobs + 1, 'the large body is in its blob');
  await relay.waitForStatus(retried.body.id, (v) => v.status === 'completed');
  assert.equal(relay.smartHost.countFor('halfway@example.net'), 1);
});

test('a chunked request (no Content-Length) reaches the function without its body, as in Azure: 400, nothing queued', FILE_TIMEOUT, async () => {
  const before = await storedCounts();
  const { port } = new URL(relay.url);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/v1/messages', method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    // two writes: a single end(body) would make node:http send Content-Length
    const body = JSON.stringify(message({ to: 'chunked@example.net' }));
    req.write(body.slice(0, 10));
    req.end(body.slice(10));
  });
  assert.equal(answer.status, 400, answer.body);
  assert.match((JSON.parse(answer.body) as Problem).type, /invalid-request/);
  assert.deepEqual(await storedCounts(), before);
});

test('storage down answers 503 problem+json, and logs it as a warning, not an error', FILE_TIMEOUT, async () => {
  await relay.azurite.stop(); // a clean stop: what Azurite holds is saved, so it comes back whole
  try {
    const answer = await relay.send(message());
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.body.type, 'urn:azure-smtp-relay:problem:storage-unavailable');
    assert.equal(answer.headers.get('retry-after'), '30');
    const status = await relay.request('GET', '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c');
    assert.equal(status.status, 503, status.text);
    assert.equal(status.body.type, 'urn:azure-smtp-relay:problem:storage-unavailable');
    assert.equal(status.headers.get('retry-after'), '30');
    const output = await relay.loggedSoFar();
    assert.match(output, / warning \[getMessageStatus\]/, 'the outage is logged');
    assert.doesNotMatch(output, / error \[(sendMessage|getMessageStatus)\]/, 'an outage is a warning, not an unexpected error');
  } finally {
    await relay.restartAzurite();
  }
  // Storage is back, so the tests after this one run as if it never went.
  await eventually('the status endpoint to read storage again', async () =>
    (await relay.request('GET', '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c')).status === 404 ? true : undefined,
  );
});
