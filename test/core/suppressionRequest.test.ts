// The suppression endpoints' input rules, pure: addresses, manual entries, scopes and the list's query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFutureTime,
  checkScope,
  checkSuppressedAddress,
  validateDeleteQuery,
  validateListQuery,
  validateManualEntry,
} from '../../src/core/suppressionRequest';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const NOW = new Date('2026-03-01T10:00:00.000Z');

function fields(result: { ok: boolean; errors?: { field: string }[] }): string[] {
  return result.ok ? [] : (result.errors ?? []).map((e) => e.field);
}

test('an address is keyed in lower case with its domain in ASCII; a bad one names the field', FILE_TIMEOUT, () => {
  assert.deepEqual(checkSuppressedAddress('User+Tag@Example.JP'), { ok: true, value: 'user+tag@example.jp' });
  assert.deepEqual(checkSuppressedAddress('taro@日本.jp'), { ok: true, value: 'taro@xn--wgv71a.jp' });
  for (const bad of [
    '',
    'no-at-sign',
    'a@b',
    'a b@example.jp',
    'a@example.jp\r\nBcc: x@y.jp',
    'a#b@example.jp',
    '@example.jp',
    'a@[127.0.0.1]',
    '\tknown@example.jp',
    'known@example.jp\r\n',
    '\u0000a@example.jp',
  ]) {
    assert.deepEqual(fields(checkSuppressedAddress(bad)), ['address'], bad);
  }
});

test('a scope is "all" or a domain', FILE_TIMEOUT, () => {
  assert.deepEqual(checkScope('ALL'), { ok: true, value: 'all' });
  assert.deepEqual(checkScope('News.Example.JP'), { ok: true, value: 'news.example.jp' });
  for (const bad of ['', 'localhost', 'a@example.jp', 'exa mple.jp', 'x\n.jp']) assert.deepEqual(fields(checkScope(bad)), ['scope'], bad);
});

test('a manual entry: reason required and bounded, expiresAt in the future, no unknown fields', FILE_TIMEOUT, () => {
  assert.deepEqual(validateManualEntry({ reason: ' asked us to stop ' }, NOW), { ok: true, value: { reason: 'asked us to stop', scope: 'all' } });
  assert.deepEqual(validateManualEntry({ reason: 'r', scope: 'Example.org', expiresAt: '2026-03-02T00:00:00+09:00' }, NOW), {
    ok: true,
    value: { reason: 'r', scope: 'example.org', expiresAt: new Date('2026-03-01T15:00:00Z') },
  });
  const refused: [unknown, string[]][] = [
    [{}, ['reason']],
    [{ reason: '' }, ['reason']],
    [{ reason: 7 }, ['reason']],
    [{ reason: 'x'.repeat(501) }, ['reason']],
    [{ reason: 'a\nb' }, ['reason']],
    [{ reason: '\ud800' }, ['reason']],
    [{ reason: 'r', expiresAt: '2026-03-01T09:59:59Z' }, ['expiresAt']],
    [{ reason: 'r', expiresAt: '2027-02-30T00:00:00Z' }, ['expiresAt']],
    [{ reason: 'r', expiresAt: '2027-01-01' }, ['expiresAt']],
    [{ reason: 'r', expiresAt: '2027-01-01T00:00:00' }, ['expiresAt']],
    [{ reason: 'r', expiresAt: 1893456000000 }, ['expiresAt']],
    [{ reason: 'r', scope: 3 }, ['scope']],
    [{ reason: 'r', scope: 'not a domain' }, ['scope']],
    [{ reason: 'r', source: 'bounce' }, ['source']],
    [{ reason: 'r', category: 'policy', address: 'a@b.jp' }, ['category', 'address']],
    [[], ['(body)']],
    ['text', ['(body)']],
    [null, ['(body)']],
  ];
  for (const [body, expected] of refused) assert.deepEqual(fields(validateManualEntry(body, NOW)), expected, JSON.stringify(body));
});

test('a time must be a calendar time with its offset', FILE_TIMEOUT, () => {
  assert.equal(checkFutureTime('2028-02-29T23:59:59.123456789Z', NOW, 't').ok, true);
  assert.equal(checkFutureTime('2027-02-29T00:00:00Z', NOW, 't').ok, false);
  assert.equal(checkFutureTime('2027-13-01T00:00:00Z', NOW, 't').ok, false);
  assert.equal(checkFutureTime('2027-01-01T24:00:00Z', NOW, 't').ok, false);
});

test("the list query: domain, source, limit and token checked; Azure's code parameter let through", FILE_TIMEOUT, () => {
  assert.deepEqual(validateListQuery([]), { ok: true, value: { limit: 100 } });
  assert.deepEqual(
    validateListQuery([
      ['domain', 'Example.NET'],
      ['source', 'bounce'],
      ['limit', '1000'],
      ['continuationToken', 'eyJuZXh0'],
      ['code', 'the-key'],
    ]),
    { ok: true, value: { domain: 'example.net', source: 'bounce', limit: 1000, continuationToken: 'eyJuZXh0' } },
  );
  const refused: [[string, string][], string[]][] = [
    [[['limit', '0']], ['limit']],
    [[['limit', '1001']], ['limit']],
    [[['limit', '1e2']], ['limit']],
    [[['limit', '']], ['limit']],
    [[['source', 'spam']], ['source']],
    [[['domain', 'no_domain']], ['domain']],
    [[['continuationToken', 'a+b=']], ['continuationToken']],
    [[['continuationToken', '']], ['continuationToken']],
    [[['continuationToken', 'x'.repeat(3000)]], ['continuationToken']],
    [
      [
        ['limit', '5'],
        ['limit', '6'],
      ],
      ['limit'],
    ],
    [[['status', 'bounced']], ['status']],
    [[['', 'x']], ['(empty name)']],
  ];
  for (const [query, expected] of refused) assert.deepEqual(fields(validateListQuery(query)), expected, JSON.stringify(query));
});

test('a delete may name one scope', FILE_TIMEOUT, () => {
  assert.deepEqual(validateDeleteQuery([['scope', 'Example.org']]), { ok: true, value: { scope: 'example.org' } });
  assert.deepEqual(validateDeleteQuery([['code', 'k']]), { ok: true, value: {} });
  assert.deepEqual(fields(validateDeleteQuery([['scope', '']])), ['scope']);
  assert.deepEqual(fields(validateDeleteQuery([['domain', 'example.org']])), ['domain']);
});
