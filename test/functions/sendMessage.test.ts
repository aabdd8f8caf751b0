// POST /api/v1/messages through the local host, against Azurite and the development smart host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ADMIN_KEY, FUNCTION_KEY, message, RelayHarness, startRelayHarness } from '../support/relayHarness';

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_MAX_RECIPIENTS: '3', RELAY_MAX_MESSAGE_BYTES: '200000', RELAY_LOCAL_FUNCTION_KEYS: JSON.stringify({ sendMessage: 'sender-only-key' }) } });
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

async function storedCounts() {
  return { deliveries: await countEntities('deliveries'), events: await countEntities('events'), blobs: await countBlobs() };
}

test('accepts a message: 202, Location, one queued entry per recipient', async () => {
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
  assert.deepEqual(done.recipients.map((r) => r.status), ['sent', 'sent', 'sent']);
});

test('every refusal is problem+json naming the problem, and nothing is stored', async () => {
  const before = await storedCounts();
  const cases: { name: string; send: () => Promise<{ status: number; body: any; headers: Headers }>; status: number; field?: string }[] = [
    { name: 'invalid field', send: () => relay.send(message({ to: 'not-an-address' })), status: 400, field: 'to' },
    { name: 'unknown field', send: () => relay.send(message({ priority: 'high' })), status: 400, field: 'priority' },
    { name: 'header injection', send: () => relay.send(message({ subject: 'Hi\r\nBcc: x@example.net' })), status: 400, field: 'subject' },
    { name: 'too many recipients', send: () => relay.send(message({ to: ['a@example.net', 'b@example.net'], cc: ['c@example.net', 'd@example.net'] })), status: 400, field: 'to' },
    { name: 'malformed JSON', send: () => relay.request('POST', '/api/v1/messages', { body: '{"from":', headers: { 'content-type': 'application/json' } }), status: 400, field: '(body)' },
    { name: 'bad Idempotency-Key', send: () => relay.send(message(), { 'Idempotency-Key': 'x'.repeat(256) }), status: 400, field: 'Idempotency-Key' },
    { name: 'sender domain', send: () => relay.send(message({ from: 'someone@elsewhere.example' })), status: 403, field: 'from' },
    { name: 'too large', send: () => relay.send(message({ text: 'x'.repeat(250_000) })), status: 413 },
    { name: 'composed too large', send: () => relay.send(message({ text: 'あ'.repeat(60_000) })), status: 413 },
    { name: 'not JSON', send: () => relay.request('POST', '/api/v1/messages', { body: 'from=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), status: 415 },
    { name: 'no content type', send: () => relay.request('POST', '/api/v1/messages', { body: JSON.stringify(message()) }), status: 415 },
  ];
  for (const c of cases) {
    const answer = await c.send();
    assert.equal(answer.status, c.status, `${c.name}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json', c.name);
    assert.equal(answer.body.status, c.status, c.name);
    assert.match(answer.body.type, /^urn:azure-smtp-relay:problem:/, c.name);
    assert.ok(answer.body.title && answer.body.detail, c.name);
    if (c.field) assert.ok(answer.body.errors.some((e: { field: string }) => e.field === c.field), `${c.name}: ${JSON.stringify(answer.body.errors)}`);
  }
  assert.deepEqual(await storedCounts(), before);
});

test('the function key is required for sending and for reading status', async () => {
  const withoutKey = await relay.request('POST', '/api/v1/messages', { body: message(), key: null });
  assert.equal(withoutKey.status, 401);
  const wrongKey = await relay.request('POST', '/api/v1/messages', { body: message(), key: 'wrong' });
  assert.equal(wrongKey.status, 401);
  const status = await relay.request('GET', '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c', { key: null });
  assert.equal(status.status, 401);
});

test('a function key opens its own function only; the master key opens every one', async () => {
  const unknownId = '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c';
  // an invalid body: past the key check, and nothing is queued
  assert.equal((await relay.request('POST', '/api/v1/messages', { body: { from: 'x' }, key: 'sender-only-key' })).status, 400);
  assert.equal((await relay.request('GET', unknownId, { key: 'sender-only-key' })).status, 401);
  assert.equal((await relay.request('GET', unknownId, { key: ADMIN_KEY })).status, 404);
  assert.equal((await relay.request('POST', '/api/v1/messages', { body: { from: 'x' }, key: ADMIN_KEY })).status, 400);
});

test('an unknown message id is 404 problem+json', async () => {
  for (const id of ['01a227ac-2dd6-769c-99a9-c524304fdc2c', 'nonsense']) {
    const answer = await relay.request('GET', `/api/v1/messages/${id}`);
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.match(answer.body.detail, /No message with id/);
  }
});

test('Idempotency-Key: the same body replays the first answer, another body is 409', async () => {
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

test('storage failing half way answers 503 and leaves nothing behind', async () => {
  const before = await storedCounts();
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
    assert.equal(await countEntities('idempotency'), 1, 'only the earlier test\'s key remains: the failed one was released');
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

test('a chunked request (no Content-Length) reaches the function without its body, as in Azure: 400, nothing queued', async () => {
  const before = await storedCounts();
  const { port } = new URL(relay.url);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/messages', method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    // two writes: a single end(body) would make node:http send Content-Length
    const body = JSON.stringify(message({ to: 'chunked@example.net' }));
    req.write(body.slice(0, 10));
    req.end(body.slice(10));
  });
  assert.equal(answer.status, 400, answer.body);
  assert.match(JSON.parse(answer.body).type, /invalid-request/);
  assert.deepEqual(await storedCounts(), before);
});

test('storage down answers 503 problem+json', async () => {
  await relay.azurite.stop();
  const answer = await relay.send(message());
  assert.equal(answer.status, 503, answer.text);
  assert.equal(answer.body.type, 'urn:azure-smtp-relay:problem:storage-unavailable');
  assert.equal(answer.headers.get('retry-after'), '30');
  const status = await relay.request('GET', '/api/v1/messages/01a227ac-2dd6-769c-99a9-c524304fdc2c');
  assert.equal(status.status, 503, status.text);
  assert.equal(status.body.type, 'urn:azure-smtp-relay:problem:storage-unavailable');
  assert.equal(status.headers.get('retry-after'), '30');
  assert.ok(!relay.hostOutput.some((l) => / error \[getMessageStatus\]/.test(l)), 'an outage is a warning, not an unexpected error');
});
