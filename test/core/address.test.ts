import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMailbox, toAsciiDomain } from '../../src/core/address';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('accepts the three documented forms', FILE_TIMEOUT, () => {
  assert.deepEqual(parseMailbox('user@example.jp'), { ok: true, value: { address: 'user@example.jp' } });
  assert.deepEqual(parseMailbox('Name <user@example.jp>'), { ok: true, value: { address: 'user@example.jp', name: 'Name' } });
  assert.deepEqual(parseMailbox({ address: 'user@example.jp', name: '山田 太郎' }), {
    ok: true,
    value: { address: 'user@example.jp', name: '山田 太郎' },
  });
  assert.deepEqual(parseMailbox('"山田, 太郎" <taro@example.jp>'), { ok: true, value: { address: 'taro@example.jp', name: '山田, 太郎' } });
});

test('converts an internationalised domain to its ASCII form', FILE_TIMEOUT, () => {
  assert.deepEqual(parseMailbox('taro@例え.jp'), { ok: true, value: { address: 'taro@xn--r8jz45g.jp' } });
  assert.equal(toAsciiDomain('Example.COM'), 'example.com');
  assert.equal(toAsciiDomain('XN--R8JZ45G.jp'), 'xn--r8jz45g.jp');
  assert.equal(toAsciiDomain('e\u0301xample.jp'), 'xn--xample-9ua.jp', 'canonically equivalent to its U-label');
  // what UTS 46 would silently drop or fold names another domain than the one written
  for (const oddity of ['example\u200b.com', 'ex\u00adample.com', 'a\ufeffb.jp', '\uff45xample.com', 'example\u3002com']) {
    assert.equal(toAsciiDomain(oddity), undefined, JSON.stringify(oddity));
  }
});

test('refuses header injection in every form', FILE_TIMEOUT, () => {
  for (const input of [
    'a@example.jp\r\nBcc: x@example.jp',
    'Name\n <a@example.jp>',
    { address: 'a@example.jp', name: 'x\r\nBcc: y' },
    { address: 'a@example.jp\n' },
  ]) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) assert.match(result.message, /CR, LF/);
  }
});

test('refuses what is not exactly one deliverable mailbox', FILE_TIMEOUT, () => {
  const cases: [unknown, RegExp][] = [
    ['', /empty/],
    ['plainword', /"plainword" is not an email address/],
    ['a@example.jp, b@example.jp', /exactly one/],
    ['a@localhost', /not a valid domain/],
    ['a@[127.0.0.1]', /not a valid domain/],
    ['a@1.2.3.4', /not a valid domain/],
    ['a..b@example.jp', /before "@"/],
    ['a#b@example.jp', /before "@"/],
    ['ユーザー@example.jp', /ASCII/],
    [`${'x'.repeat(65)}@example.jp`, /64/],
    ['Name <a@example.jp> trailing', /after the closing/],
    [42, /must be an address/],
    [{ address: 'a@example.jp', extra: 1 }, /unknown field "extra"/],
    [{ name: 'x' }, /"address" must be a string/],
  ];
  for (const [input, pattern] of cases) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, `${JSON.stringify(input)} should be refused`);
    if (!result.ok) assert.match(result.message, pattern, JSON.stringify(input));
  }
});

test('refuses a string with two <addresses> rather than folding one into the name', FILE_TIMEOUT, () => {
  for (const input of ['A <a@example.jp> <b@example.jp>', '<a@example.jp> <b@example.jp>', 'A <a@example.jp> B <b@example.jp>']) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) assert.match(result.message, /exactly one address/, input);
  }
  assert.deepEqual(parseMailbox('"Evil <x@example.com>" <a@example.jp>'), { ok: true, value: { address: 'a@example.jp', name: 'Evil <x@example.com>' } });
});

test('refuses a display name with an unpaired surrogate', FILE_TIMEOUT, () => {
  for (const input of [{ address: 'a@example.jp', name: 'x\ud800' }, 'x\udc00 <a@example.jp>']) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) assert.match(result.message, /surrogate/);
  }
});

test('a string without <...> is one bare address, never a name and another address', FILE_TIMEOUT, () => {
  for (const input of ['john smith@example.jp', 'john\u00a0smith@example.jp', 'a@example.jp (Name)', 'a(Name)@example.jp']) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, `${JSON.stringify(input)} should be refused, not sent to part of it`);
    if (!result.ok) assert.match(result.message, /whole text must be the address|before "@"/, input);
  }
  assert.deepEqual(parseMailbox('  user@example.jp '), { ok: true, value: { address: 'user@example.jp' } });
  // a quoted local part is one RFC 5322 quoted-string, accepted since legacy carrier addresses are (test/core/legacyAddress.test.ts)
  assert.deepEqual(parseMailbox('"a b"@example.jp'), { ok: true, value: { address: '"a b"@example.jp' } });
});
