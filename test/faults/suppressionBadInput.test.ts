// Bad input to the suppression list's operator endpoints, through the real functions in the local
// host against Azurite: bad addresses in the path, bad bodies, bad queries and tokens, and a sender's
// key. Each is refused with a 4xx (problem+json naming the field where the function answers), none
// is answered 5xx, and the list is the same afterwards.
import { odata } from '@azure/data-tables';
import { MARKS_PARTITION } from '../../src/storage/suppressionChanges';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, FUNCTION_KEY, type HttpAnswer, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const KNOWN = 'known+tag@example.net';
let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness();
  const put = await relay.request('PUT', `/api/v1/suppressions/${KNOWN}`, { key: ADMIN_KEY, body: { reason: 'the entry bad input must not change' } });
  if (put.status !== 201) throw new Error(`seeding the list answered ${put.status}: ${put.text}`);
});
after(async () => {
  await relay?.stop();
});

/** Every entry of the suppressions table, as stored (its change marks are no entries: a delivery may write them). */
async function snapshot(): Promise<string> {
  const entities: string[] = [];
  const filter = odata`PartitionKey ne ${MARKS_PARTITION}`;
  for await (const e of relay.clients.suppressions.listEntities({ queryOptions: { filter } }))
    entities.push(JSON.stringify({ ...e, etag: undefined, timestamp: undefined }));
  return entities.sort().join('\n');
}

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  /** the status expected; problem+json naming `field` when given */
  status: number;
  field?: string;
}

const json = (body: unknown) => JSON.stringify(body);
const token = (value: string) => Buffer.from(value).toString('base64url');

const BAD_ADDRESSES = [
  'not-an-address',
  'a@b',
  'a%20b@example.jp',
  'a%0D%0ABcc:x@example.jp',
  'a%23b@example.jp',
  'a%3Fb@example.jp',
  '%40example.jp',
  'user@',
  'user@%5B127.0.0.1%5D',
  `${'x'.repeat(65)}@example.jp`,
  `u@${'a'.repeat(250)}.jp`,
  '%E3%81%82@example.jp',
  'a..b@example.jp',
];

const CASES: Case[] = [
  ...BAD_ADDRESSES.flatMap((a): Case[] => [
    { name: `GET ${a}`, method: 'GET', path: `/api/v1/suppressions/${a}`, status: 400, field: 'address' },
    { name: `PUT ${a}`, method: 'PUT', path: `/api/v1/suppressions/${a}`, body: json({ reason: 'r' }), status: 400, field: 'address' },
    { name: `DELETE ${a}`, method: 'DELETE', path: `/api/v1/suppressions/${a}`, status: 400, field: 'address' },
  ]),
  // the host refuses these before any function runs, as Azure does
  { name: 'an encoded slash', method: 'GET', path: '/api/v1/suppressions/a%2Fb@example.jp', status: 404 },
  { name: 'a bad percent escape', method: 'PUT', path: '/api/v1/suppressions/a%ZZ@example.jp', body: json({ reason: 'r' }), status: 404 },
  { name: 'a second segment', method: 'DELETE', path: `/api/v1/suppressions/${KNOWN}/more`, status: 404 },
  ...(
    [
      ['not JSON', '{"reason": ', '(body)'],
      ['empty', '', '(body)'],
      ['an array', json([{ reason: 'r' }]), '(body)'],
      ['a string', json('r'), '(body)'],
      ['no reason', json({}), 'reason'],
      ['an empty reason', json({ reason: '  ' }), 'reason'],
      ['a reason too long', json({ reason: 'x'.repeat(501) }), 'reason'],
      ['a reason with CR LF', json({ reason: 'a\r\nb' }), 'reason'],
      ['a reason not a string', json({ reason: ['r'] }), 'reason'],
      ['an expiry in the past', json({ reason: 'r', expiresAt: '2020-01-01T00:00:00Z' }), 'expiresAt'],
      ['an expiry not a date', json({ reason: 'r', expiresAt: 'tomorrow' }), 'expiresAt'],
      ['an expiry without offset', json({ reason: 'r', expiresAt: '2099-01-01T00:00:00' }), 'expiresAt'],
      ['an expiry on 31 February', json({ reason: 'r', expiresAt: '2099-02-31T00:00:00Z' }), 'expiresAt'],
      ['a bad scope', json({ reason: 'r', scope: 'every sender' }), 'scope'],
      ['a scope that is an address', json({ reason: 'r', scope: 'a@example.jp' }), 'scope'],
      ['an unknown field', json({ reason: 'r', source: 'bounce' }), 'source'],
      ['a duplicate name', '{"reason": "a", "reason": "b"}', 'reason'],
    ] as const
  ).map(([what, body, field]): Case => ({ name: `PUT with ${what}`, method: 'PUT', path: `/api/v1/suppressions/${KNOWN}`, body, status: 400, field })),
  {
    name: 'PUT with bytes that are not UTF-8',
    method: 'PUT',
    path: `/api/v1/suppressions/${KNOWN}`,
    body: Buffer.from([0x7b, 0xff, 0x7d]),
    status: 400,
    field: '(body)',
  },
  { name: 'PUT as text/plain', method: 'PUT', path: `/api/v1/suppressions/${KNOWN}`, body: json({ reason: 'r' }), contentType: 'text/plain', status: 415 },
  { name: 'PUT too large', method: 'PUT', path: `/api/v1/suppressions/${KNOWN}`, body: json({ reason: 'r', pad: 'x'.repeat(20_000) }), status: 413 },
  {
    name: 'PUT with a query parameter',
    method: 'PUT',
    path: `/api/v1/suppressions/${KNOWN}?scope=all`,
    body: json({ reason: 'r' }),
    status: 400,
    field: 'scope',
  },
  { name: 'DELETE with a bad scope', method: 'DELETE', path: `/api/v1/suppressions/${KNOWN}?scope=not_a_domain`, status: 400, field: 'scope' },
  { name: 'DELETE with two scopes', method: 'DELETE', path: `/api/v1/suppressions/${KNOWN}?scope=all&scope=example.jp`, status: 400, field: 'scope' },
  { name: 'DELETE with an unknown parameter', method: 'DELETE', path: `/api/v1/suppressions/${KNOWN}?all=true`, status: 400, field: 'all' },
  { name: 'GET with an unknown parameter', method: 'GET', path: `/api/v1/suppressions/${KNOWN}?scope=all`, status: 400, field: 'scope' },
  ...(
    [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=', 'limit'],
      ['source=spam', 'source'],
      ['source=BOUNCE', 'source'],
      ['domain=not_a_domain', 'domain'],
      ['domain=%00.jp', 'domain'],
      ['status=bounced', 'status'],
      ['continuationToken=', 'continuationToken'],
      ['continuationToken=%2B%2F%3D', 'continuationToken'],
      ['continuationToken=abc', 'continuationToken'],
      [`continuationToken=${token('{"x":1}')}`, 'continuationToken'],
      [`continuationToken=${token('{"nextPartitionKey":""}')}`, 'continuationToken'],
      [`continuationToken=${token('{"nextPartitionKey":5}')}`, 'continuationToken'],
      [`continuationToken=${token('[1,2]')}`, 'continuationToken'],
      [`continuationToken=${token('null')}`, 'continuationToken'],
      [`continuationToken=${'A'.repeat(5000)}`, 'continuationToken'],
    ] as const
  ).map(([query, field]): Case => ({ name: `list ?${query.slice(0, 60)}`, method: 'GET', path: `/api/v1/suppressions?${query}`, status: 400, field })),
];

async function ask(c: Case, key: string | null = ADMIN_KEY): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
  return relay.request(c.method, c.path, { key, body: c.body, headers });
}

test('bad addresses, bodies, queries and tokens: 4xx naming the field, never 5xx, the list unchanged', FILE_TIMEOUT, async () => {
  const before = await snapshot();
  assert.match(before, /known\+tag@example\.net/);
  for (const c of CASES) {
    const answer = await ask(c);
    const label = `${c.name}: ${answer.status} ${answer.text.slice(0, 300)}`;
    assert.ok(answer.status < 500, label);
    assert.equal(answer.status, c.status, label);
    if (c.status === 404 && c.field === undefined) continue;
    assert.equal(answer.headers.get('content-type'), 'application/problem+json', label);
    assert.equal(answer.body.status, c.status, label);
    if (c.field !== undefined) {
      assert.ok(
        answer.body.errors.some((e) => e.field === c.field),
        label,
      );
      assert.ok(answer.body.detail.includes(c.field), `the detail names ${c.field}: ${label}`);
    }
  }
  assert.equal(await snapshot(), before);
});

test("a sender's key, or none, is refused on every operator endpoint and changes nothing", FILE_TIMEOUT, async () => {
  const before = await snapshot();
  const endpoints: Case[] = [
    { name: 'get', method: 'GET', path: `/api/v1/suppressions/${KNOWN}`, status: 401 },
    { name: 'put', method: 'PUT', path: `/api/v1/suppressions/${KNOWN}`, body: json({ reason: 'a sender trying' }), status: 401 },
    { name: 'put new', method: 'PUT', path: '/api/v1/suppressions/new@example.net', body: json({ reason: 'a sender trying' }), status: 401 },
    { name: 'delete', method: 'DELETE', path: `/api/v1/suppressions/${KNOWN}`, status: 401 },
    { name: 'list', method: 'GET', path: '/api/v1/suppressions', status: 401 },
  ];
  for (const c of endpoints) {
    for (const key of [FUNCTION_KEY, null, 'wrong-key']) {
      const answer = await ask(c, key);
      assert.ok(answer.status === 401 || answer.status === 403, `${c.name} with ${String(key)}: ${answer.status}`);
    }
    const byCode = await relay.request(c.method, `${c.path}?code=${FUNCTION_KEY}`, {
      key: null,
      body: c.body,
      headers: c.body ? { 'content-type': 'application/json' } : {},
    });
    assert.ok(byCode.status === 401 || byCode.status === 403, `${c.name} with the sender's key in ?code=: ${byCode.status}`);
  }
  assert.equal(await snapshot(), before);
  // the operator's key still reads it
  assert.equal((await relay.request('GET', `/api/v1/suppressions/${KNOWN}`, { key: ADMIN_KEY })).status, 200);
});
