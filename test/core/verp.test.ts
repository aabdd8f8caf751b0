// VERP return paths: what the relay writes as the envelope sender is what it reads back from a bounce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { parseVerpAddress, recipientTag, verpAddress } from '../../src/core/verp';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const ID = newMessageId(new Date('2026-03-01T10:00:00Z'));

test('round trip: the message id and the recipient tag come back out', FILE_TIMEOUT, () => {
  const address = verpAddress(ID, 'Hanako@Example.net', 'Bounce.Example.jp');
  assert.match(address, /^bounces\+[0-9a-f-]{36}\.[0-9a-f]{8}@bounce\.example\.jp$/);
  assert.ok(address.split('@')[0].length <= 64, 'an SMTP local part is at most 64 octets (RFC 5321)');
  assert.deepEqual(parseVerpAddress(address, 'bounce.example.jp'), { messageId: ID, tag: recipientTag('hanako@example.net') });
  // as an MTA may hand it back: folded to upper case, in angle brackets
  assert.deepEqual(parseVerpAddress(`<${address.toUpperCase()}>`, 'BOUNCE.example.jp'), { messageId: ID, tag: recipientTag('hanako@example.net') });
});

test('the tag is stable per recipient, case-blind, and tells recipients apart', FILE_TIMEOUT, () => {
  assert.equal(recipientTag('user@example.net'), recipientTag('USER@example.NET'));
  assert.match(recipientTag('user@example.net'), /^[0-9a-f]{8}$/);
  const tags = new Set(Array.from({ length: 100 }, (_, i) => recipientTag(`user${i}@example.net`)));
  assert.equal(tags.size, 100);
});

test('refuses what is not one of ours', FILE_TIMEOUT, () => {
  const good = verpAddress(ID, 'user@example.net', 'bounce.example.jp');
  const notOurs = [
    good.replace('bounce.example.jp', 'other.example.jp'), // another domain
    good.replace('bounces+', 'bounce+'),
    good.replace(/\.[0-9a-f]{8}@/, '.xyz@'), // the tag
    good.replace(/\.[0-9a-f]{8}@/, '@'), // no tag
    good.replace(
      ID,
      ID.replace(/^.{8}-.{4}-7/, (s) => s.slice(0, -1) + '4'),
    ), // a UUIDv4 is not a relay message id
    'bounces+not-an-id.12345678@bounce.example.jp',
    'user@example.net',
    'no-at-sign',
    '',
  ];
  for (const address of notOurs) assert.equal(parseVerpAddress(address, 'bounce.example.jp'), undefined, address);
  assert.throws(() => verpAddress('not-an-id', 'user@example.net', 'bounce.example.jp'), /not a message id/);
  // without a domain to check, any domain is read
  assert.equal(parseVerpAddress(good.replace('bounce.example.jp', 'other.example.jp'))?.messageId, ID);
});
