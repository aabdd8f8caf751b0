// Legacy carrier addresses and quoted local parts: what is accepted where, the RFC 5322 form each is
// sent as, and the one key every spelling of a mailbox is stored under, which must survive Azure
// Table keys, the VERP return path and the unsubscribe token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyToAddress, parseMailbox, recipientKey, shownAddress } from '../../src/core/address';
import { newMessageId } from '../../src/core/ids';
import { checkSuppressedAddress } from '../../src/core/suppressionRequest';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../src/core/unsubscribeToken';
import { parseVerpAddress, recipientTag, verpAddress } from '../../src/core/verp';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

// Azure Tables refuse these in PartitionKey and RowKey (and the events and index keys embed the recipient key).
const UNSAFE_FOR_TABLE_KEYS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function accepted(input: string): string {
  const parsed = parseMailbox(input);
  assert.equal(parsed.ok, true, `${input} should be accepted: ${parsed.ok ? '' : parsed.message}`);
  return parsed.ok ? parsed.value.address : '';
}

test('the old docomo and au forms are accepted at their domains and sent quoted', FILE_TIMEOUT, () => {
  const cases: [string, string, string][] = [
    ['taro.@docomo.ne.jp', '"taro."@docomo.ne.jp', 'taro.@docomo.ne.jp'],
    ['taro..x@docomo.ne.jp', '"taro..x"@docomo.ne.jp', 'taro..x@docomo.ne.jp'],
    ['.taro@ezweb.ne.jp', '".taro"@ezweb.ne.jp', '.taro@ezweb.ne.jp'],
    ['Taro.@au.com', '"Taro."@au.com', 'taro.@au.com'],
    ['Taro <taro.@docomo.ne.jp>', '"taro."@docomo.ne.jp', 'taro.@docomo.ne.jp'],
    // the quoted spelling of the same mailbox, at any domain
    ['"taro."@docomo.ne.jp', '"taro."@docomo.ne.jp', 'taro.@docomo.ne.jp'],
    ['"taro."@example.com', '"taro."@example.com', 'taro.@example.com'],
    ['太郎 <"taro."@example.com>', '"taro."@example.com', 'taro.@example.com'],
    // a quoted dot-atom is the dot-atom: one mailbox, one key, sent bare
    ['"taro"@example.com', 'taro@example.com', 'taro@example.com'],
  ];
  for (const [input, address, key] of cases) {
    assert.equal(accepted(input), address, input);
    assert.equal(recipientKey(address), key, input);
  }
  assert.equal(recipientKey('taro.@docomo.ne.jp'), recipientKey('"taro."@docomo.ne.jp'), 'one mailbox, one key');
  assert.equal(recipientKey('"TARO."@Docomo.ne.jp'), 'taro.@docomo.ne.jp', 'case folded as every key is');
});

test('what is still refused, each with a clear reason', FILE_TIMEOUT, () => {
  const refused: [unknown, RegExp][] = [
    // the legacy forms anywhere but at the carriers: a typo there
    ['taro.@example.com', /accepted only for the old carrier addresses of docomo\.ne\.jp, ezweb\.ne\.jp, au\.com; elsewhere quote it: "taro\."@example\.com/],
    ['taro..x@gmail.com', /two dots in a row/],
    ['.taro@softbank.ne.jp', /dot at its start or end/],
    ['taro.@docomo.ne.jp.evil.example', /only for the old carrier addresses/],
    // quotes that do not make one quoted string
    ['"taro@example.com', /not a valid quoted string/],
    ['"ta"ro@example.com', /not a valid quoted string/],
    ['ta"ro@example.com', /quoted as a whole/],
    ['"taro\\"@example.com', /not a valid quoted string/],
    ['""@example.com', /empty/],
    ['"a<b"@example.com', /after the closing ">"/],
    [{ address: '"a>b"@example.com' }, /must not contain "<" or ">"/],
    [{ address: '"a"b"@example.com' }, /not a valid quoted string/],
    // control characters, quoted or not
    ['"ta\u0001ro"@example.com', /control characters/],
    [{ address: '"ta\tro."@docomo.ne.jp' }, /control characters/],
    ['"taro\u0000"@docomo.ne.jp', /control characters/],
    // what was refused before stays refused
    ['...@docomo.ne.jp', /not valid \(letters, digits/],
    ['a/b@docomo.ne.jp', /\/ \\ # \? are not accepted/],
    ['"ユーザー"@example.com', /ASCII/],
    [`"${'x'.repeat(63)}"@example.com`, /64 characters/],
    ['taro.@docomo', /not a valid domain/],
  ];
  for (const [input, pattern] of refused) {
    const result = parseMailbox(input);
    assert.equal(result.ok, false, `${JSON.stringify(input)} should be refused`);
    if (!result.ok) assert.match(result.message, pattern, JSON.stringify(input));
  }
});

test('a key is safe for Azure Table keys and gives its address back', FILE_TIMEOUT, () => {
  for (const input of [
    '"a/b"@example.com',
    '"a\\\\b#c?d"@example.com',
    '"taro x"@example.com',
    '"a\\"b"@example.com',
    '"x@y"@example.com',
    '"50% off"@example.com',
  ]) {
    const address = accepted(input);
    const key = recipientKey(address);
    assert.doesNotMatch(key, UNSAFE_FOR_TABLE_KEYS, key);
    assert.equal(key.split('@').length, 2, `${key}: one "@"`);
    assert.doesNotMatch(key, /\s/, key);
    assert.equal(keyToAddress(key), address.toLowerCase(), key);
    assert.equal(shownAddress(key), address.toLowerCase(), 'an encoded key is shown as its address');
  }
  assert.equal(recipientKey('"a/b"@example.com'), '"a%2fb"@example.com');
  assert.equal(recipientKey('"50% off"@example.com'), '"50%25%20off"@example.com', 'a literal "%" of an encoded key is encoded too');
  assert.equal(recipientKey('a%b@example.com'), 'a%b@example.com', 'keys of earlier versions are unchanged');
  assert.equal(shownAddress('taro.@docomo.ne.jp'), 'taro.@docomo.ne.jp');
});

test('every accepted quoted local part round-trips through its key', FILE_TIMEOUT, () => {
  const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
  fc.assert(
    fc.property(fc.array(printable, { minLength: 1, maxLength: 30 }), (chars) => {
      const value = chars.join('');
      const input = `"${value.replace(/["\\]/g, '\\$&')}"@example.com`;
      const parsed = parseMailbox({ address: input });
      if (/[<>]/.test(value)) return !parsed.ok; // refused: the SMTP client would rewrite them
      if (!parsed.ok) return false;
      const key = recipientKey(parsed.value.address);
      return !UNSAFE_FOR_TABLE_KEYS.test(key) && !/\s/.test(key) && recipientKey(keyToAddress(key)) === key && recipientKey(input) === key;
    }),
    { numRuns: 500 },
  );
});

test('the VERP tag and the unsubscribe token carry the one key of either spelling', FILE_TIMEOUT, () => {
  const messageId = newMessageId(new Date('2026-12-01T00:00:00Z'));
  const key = recipientKey(accepted('taro.@docomo.ne.jp'));
  const returnPath = verpAddress(messageId, key, 'bounces.example.jp');
  assert.deepEqual(parseVerpAddress(returnPath, 'bounces.example.jp'), { messageId, tag: recipientTag(recipientKey('"taro."@docomo.ne.jp')) });
  for (const address of ['"taro."@docomo.ne.jp', '"a/b c"@example.com']) {
    const recipient = recipientKey(address);
    const secret = 'a-test-secret-of-at-least-32-characters';
    const payload = { recipient, senderDomain: 'example.jp', messageId, issuedAt: new Date('2026-12-01T00:00:00Z') };
    assert.deepEqual(verifyUnsubscribeToken(signUnsubscribeToken(payload, secret), secret), { ok: true, payload }, address);
  }
});

test('the suppression endpoints find either spelling; what the list shows is taken back', FILE_TIMEOUT, () => {
  for (const raw of ['taro.@docomo.ne.jp', '"taro."@docomo.ne.jp', '"Taro."@docomo.ne.jp']) {
    assert.deepEqual(checkSuppressedAddress(raw), { ok: true, value: 'taro.@docomo.ne.jp' }, raw);
  }
  assert.equal(checkSuppressedAddress('taro.@example.com').ok, false, 'refused there as anywhere');
  assert.equal(shownAddress('taro.@example.com'), '"taro."@example.com', 'so the list shows it quoted');
  assert.deepEqual(checkSuppressedAddress(shownAddress('taro.@example.com')), { ok: true, value: 'taro.@example.com' });
  assert.deepEqual(checkSuppressedAddress('"a/b"@example.com'), { ok: true, value: '"a%2fb"@example.com' });
  assert.equal(checkSuppressedAddress('"a@example.com').ok, false);
});
