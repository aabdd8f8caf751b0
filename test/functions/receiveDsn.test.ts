// POST /api/v1/events/dsn through the local host, against Azurite: every DSN fixture answered with its
// summary, and every refusal (key, type, content, size) answered 4xx with problem+json and nothing stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY, FUNCTION_KEY, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { repoRoot } from '../support/sourceFiles';
import type { Problem } from '../../src/errors';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'dsn');
const DSN_PATH = '/api/v1/events/dsn';

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness();
});
after(async () => {
  await relay?.stop();
});

function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

function postDsn<Body = Problem>(body: Buffer | string, options: { key?: string | null; contentType?: string | null } = {}) {
  const contentType = options.contentType === undefined ? 'message/rfc822' : options.contentType;
  return relay.request<Body>('POST', DSN_PATH, {
    body,
    key: options.key === undefined ? ADMIN_KEY : options.key,
    headers: contentType === null ? {} : { 'content-type': contentType },
  });
}

/** Everything the relay could have written: rows, events, suppressions, breaker counts, queued tasks. */
async function storedState(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['deliveries', 'events', 'suppressions', 'senders', 'idempotency'] as const) {
    let n = 0;
    for await (const _ of relay.clients[table].listEntities()) n++;
    counts[table] = n;
  }
  counts.queued = (await relay.clients.queue.getProperties()).approximateMessagesCount ?? 0;
  return counts;
}

const EXPECTED_RECIPIENTS: Record<string, number> = {
  'postfix-user-unknown.eml': 2,
  'postfix-delayed.eml': 1,
  'exchange-online-recipient-not-found.eml': 1,
  'gmail-address-not-found.eml': 1,
  'docomo-unknown-user.eml': 1,
  'au-kddi-user-unknown.eml': 1,
  'au-ezweb-filtered.eml': 1,
  'forwarded-postfix.eml': 2,
};

test('each DSN fixture is answered 200 with its summary; none names a message of this relay', FILE_TIMEOUT, async () => {
  const good = readdirSync(FIXTURES).filter((f) => f.endsWith('.eml') && !f.startsWith('report-without-'));
  assert.deepEqual(good.sort(), Object.keys(EXPECTED_RECIPIENTS).sort(), 'every fixture has its expected count here');
  const before = await storedState();
  for (const name of good) {
    const answer = await postDsn<Record<string, number>>(fixture(name), { contentType: name.startsWith('forwarded') ? 'message/rfc822' : 'multipart/report' });
    assert.equal(answer.status, 200, `${name}: ${answer.text}`);
    const n = EXPECTED_RECIPIENTS[name] ?? 0;
    // A delayed report changes nothing whoever it names, so it is not even looked up: unchanged.
    const expected = name.includes('delayed')
      ? { recipients: n, applied: 0, unchanged: n, unmatched: 0 }
      : { recipients: n, applied: 0, unchanged: 0, unmatched: n };
    assert.deepEqual(answer.body, expected, name);
  }
  assert.deepEqual(await storedState(), before, 'an unmatched event changes nothing');
  const logged = await relay.loggedSoFar();
  assert.match(logged, /DSN au-kddi from an unnamed MTA: 1 failed/);
  assert.equal(logged.match(/DSN au-kddi /g)?.length, 2, 'both au/KDDI notices');
  assert.match(logged, /DSN rfc3464 \(unwrapped\) from mail\.example\.net: 2 failed/);
  for (const secret of ['nobody@example.net', 'Your order has shipped', 'User unknown in virtual mailbox table']) {
    assert.ok(!logged.includes(secret), `"${secret}" (an address or message content) reaches no log line`);
  }
});

test('application/octet-stream is taken as the raw message too (a mailbox export may say no more)', FILE_TIMEOUT, async () => {
  const answer = await postDsn<Record<string, number>>(fixture('gmail-address-not-found.eml'), { contentType: 'application/octet-stream' });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.recipients, 1);
});

test('the DSN upload is an operator endpoint: the sender key and no key get 401', FILE_TIMEOUT, async () => {
  const before = await storedState();
  for (const key of [FUNCTION_KEY, null, 'wrong-key']) {
    const answer = await postDsn(fixture('postfix-user-unknown.eml'), { key });
    assert.equal(answer.status, 401, `key ${String(key)}`);
  }
  assert.deepEqual(await storedState(), before);
});

test('bad input: 415, 400, 422 and 413 as problem+json naming the problem; none 5xx, nothing stored', FILE_TIMEOUT, async () => {
  const before = await storedState();
  const cases: { what: string; body: Buffer | string; contentType?: string | null; status: number; type: string; detail: RegExp }[] = [
    { what: 'JSON', body: '{"event":"bounce"}', contentType: 'application/json', status: 415, type: 'unsupported-media-type', detail: /"application\/json"/ },
    { what: 'no Content-Type', body: fixture('postfix-user-unknown.eml'), contentType: null, status: 415, type: 'unsupported-media-type', detail: /\(none\)/ },
    {
      what: 'text/plain',
      body: fixture('postfix-user-unknown.eml'),
      contentType: 'text/plain',
      status: 415,
      type: 'unsupported-media-type',
      detail: /text\/plain/,
    },
    { what: 'not a message', body: fixture('not-a-message.txt'), status: 400, type: 'invalid-request', detail: /not a mail message/ },
    { what: 'empty body', body: '', status: 400, type: 'invalid-request', detail: /not a mail message/ },
    { what: 'binary', body: Buffer.from([0, 1, 2, 3, 255, 254, 10, 13]), status: 400, type: 'invalid-request', detail: /not a mail message/ },
    { what: 'no status part', body: fixture('report-without-status.eml'), status: 422, type: 'unprocessable', detail: /no message\/delivery-status part/ },
    { what: 'no recipient', body: fixture('report-without-recipients.eml'), status: 422, type: 'unprocessable', detail: /per-recipient/ },
    {
      what: 'a plain note',
      body: 'From: a@example.com\r\nSubject: hi\r\n\r\nhello',
      status: 422,
      type: 'unprocessable',
      detail: /not a delivery status notification/,
    },
    {
      what: 'over 1 MiB',
      body: Buffer.concat([fixture('postfix-user-unknown.eml'), Buffer.alloc(1024 * 1024, 'a')]),
      status: 413,
      type: 'payload-too-large',
      detail: /at most 1048576/,
    },
  ];
  for (const c of cases) {
    const answer = await postDsn(c.body, { contentType: c.contentType });
    assert.equal(answer.status, c.status, `${c.what}: ${answer.text}`);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json', c.what);
    assert.equal(answer.body.type, `urn:azure-smtp-relay:problem:${c.type}`, c.what);
    assert.match(answer.body.detail, c.detail, c.what);
  }
  assert.deepEqual(await storedState(), before);
  const logged = await relay.loggedSoFar();
  assert.doesNotMatch(logged, /unexpected error/);
});
