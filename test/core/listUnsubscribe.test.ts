// The List-Unsubscribe header lines: CRLF, the one-click pair, and folding only between URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listUnsubscribeHeaders, unsubscribeUrl } from '../../src/core/listUnsubscribe';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

test('the link is under /api/v1/unsubscribe of the public URL, with or without its trailing slash', FILE_TIMEOUT, () => {
  assert.equal(unsubscribeUrl('https://relay.example.jp', 'abc.def'), 'https://relay.example.jp/api/v1/unsubscribe/abc.def');
  assert.equal(unsubscribeUrl('https://relay.example.jp/', 'abc.def'), 'https://relay.example.jp/api/v1/unsubscribe/abc.def');
});

test('one URL: both header lines, CRLF-terminated, the URL in angle brackets on one line', FILE_TIMEOUT, () => {
  const url = `https://relay.example.jp/api/v1/unsubscribe/${'x'.repeat(120)}`;
  assert.equal(listUnsubscribeHeaders([url]), `List-Unsubscribe: <${url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`);
});

test('several URLs are folded between elements once a line would pass 78 characters', FILE_TIMEOUT, () => {
  const text = listUnsubscribeHeaders(['mailto:u@example.jp', `https://relay.example.jp/${'y'.repeat(60)}`]);
  assert.equal(text.split('\r\n')[0], 'List-Unsubscribe: <mailto:u@example.jp>,');
  assert.equal(text.split('\r\n')[1], ` <https://relay.example.jp/${'y'.repeat(60)}>`);
  assert.equal(listUnsubscribeHeaders(['mailto:a@b.jp', 'https://c.jp/x']).split('\r\n')[0], 'List-Unsubscribe: <mailto:a@b.jp>, <https://c.jp/x>');
});

test('a URL with whitespace or angle brackets, none at all, or past 998 characters is refused', FILE_TIMEOUT, () => {
  assert.throws(() => listUnsubscribeHeaders(['https://a.jp/x y']), /whitespace/);
  assert.throws(() => listUnsubscribeHeaders(['https://a.jp/x>\r\nBcc: evil@example.com']), /whitespace/);
  assert.throws(() => listUnsubscribeHeaders([]), /at least one/);
  assert.throws(() => listUnsubscribeHeaders([`https://a.jp/${'z'.repeat(1000)}`]), /at most 998/);
});
