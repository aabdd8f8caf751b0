import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSendRequest } from '../../src/core/sendRequest';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const limits = { maxRecipients: 5 };
const valid = { from: 'App <app@example.jp>', to: 'user@example.jp', subject: 'Hello', text: 'Hi' };

function fieldsOf(body: unknown): string[] {
  const result = validateSendRequest(body, limits);
  assert.equal(result.ok, false, 'expected the request to be refused');
  return result.ok ? [] : result.errors.map((e) => e.field);
}

test('accepts a complete request and lists each recipient once', FILE_TIMEOUT, () => {
  const result = validateSendRequest(
    {
      ...valid,
      to: ['a@example.jp', 'B@Example.jp'],
      cc: { address: 'b@example.jp' },
      bcc: 'c@example.jp',
      replyTo: 'reply@example.jp',
      html: '<p>Hi</p>',
      headers: { 'X-Campaign': 'autumn' },
      attachments: [{ filename: 'a.txt', content: Buffer.from('hello').toString('base64'), contentType: 'text/plain' }],
      tags: { campaign: 'autumn' },
    },
    limits,
  );
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.deepEqual(
    result.value.recipients.map((r) => r.address),
    ['a@example.jp', 'B@example.jp', 'c@example.jp'],
  );
  assert.equal(result.value.attachments[0].content.toString(), 'hello');
  assert.deepEqual(result.value.tags, { campaign: 'autumn' });
});

test('names every missing required field', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({}).sort(), ['from', 'subject', 'text', 'to']);
  assert.deepEqual(fieldsOf({ ...valid, to: [] }), ['to']);
});

test('refuses unknown fields rather than ignoring them', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, tmplate: 'x' }), ['tmplate']);
  assert.deepEqual(fieldsOf({ ...valid, attachments: [{ filename: 'a', content: 'aGk=', size: 2 }] }), ['attachments[0].size']);
});

test('refuses wrong types with the field named', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, subject: 5 }), ['subject']);
  assert.deepEqual(fieldsOf({ ...valid, text: ['x'] }), ['text']);
  assert.deepEqual(fieldsOf({ ...valid, to: [1] }), ['to[0]']);
  assert.deepEqual(fieldsOf({ ...valid, headers: [] }), ['headers']);
  assert.deepEqual(fieldsOf({ ...valid, tags: { a: 1 } }), ['tags.a']);
  assert.deepEqual(fieldsOf([valid]), ['(body)']);
});

test('refuses header injection and relay-owned headers', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, subject: 'Hi\r\nBcc: x@example.jp' }), ['subject']);
  assert.deepEqual(fieldsOf({ ...valid, headers: { 'X-A': 'v\nBcc: x@example.jp' } }), ['headers.X-A']);
  assert.deepEqual(fieldsOf({ ...valid, headers: { 'Bad Name': 'v' } }), ['headers.Bad Name']);
  for (const owned of ['From', 'bcc', 'Message-ID', 'Content-Type', 'MIME-Version', 'Date', 'Subject']) {
    assert.deepEqual(fieldsOf({ ...valid, headers: { [owned]: 'v' } }), [`headers.${owned}`], owned);
  }
});

test('enforces the recipient limit over to, cc and bcc together', FILE_TIMEOUT, () => {
  const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `${l}@example.jp`);
  assert.deepEqual(fieldsOf({ ...valid, to: six.slice(0, 3), cc: six.slice(3, 5), bcc: six[5] }), ['to']);
  const five = validateSendRequest({ ...valid, to: six.slice(0, 5) }, limits);
  assert.ok(five.ok);
});

test('checks attachments: base64, filename, content type', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, attachments: [{ filename: 'a.txt', content: 'not base64!' }] }), ['attachments[0].content']);
  assert.deepEqual(fieldsOf({ ...valid, attachments: [{ filename: '../etc/passwd', content: 'aGk=' }] }), ['attachments[0].filename']);
  assert.deepEqual(fieldsOf({ ...valid, attachments: [{ filename: 'a', content: 'aGk=', contentType: 'pdf' }] }), ['attachments[0].contentType']);
  assert.deepEqual(fieldsOf({ ...valid, attachments: {} }), ['attachments']);
});

test('accepts Japanese subject, names and body', FILE_TIMEOUT, () => {
  const result = validateSendRequest({ ...valid, from: '送信者 <app@example.jp>', subject: 'ご注文ありがとうございます', text: '本文' }, limits);
  assert.ok(result.ok);
});

test('a null text with no html is no body at all', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, text: null }), ['text']);
  assert.deepEqual(fieldsOf({ ...valid, text: null, html: null }), ['text']);
  assert.ok(validateSendRequest({ ...valid, text: null, html: '<p>Hi</p>' }, limits).ok);
});

test('refuses NUL in the text and html bodies', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, text: 'a\u0000b' }), ['text']);
  assert.deepEqual(fieldsOf({ ...valid, text: undefined, html: '<p>\u0000</p>' }), ['html']);
  assert.ok(validateSendRequest({ ...valid, text: 'tabs\tand\r\nbreaks\fare text' }, limits).ok);
});

test('refuses strings with an unpaired surrogate, naming the field', FILE_TIMEOUT, () => {
  const lone = 'caf\ud800';
  assert.deepEqual(fieldsOf({ ...valid, subject: lone }), ['subject']);
  assert.deepEqual(fieldsOf({ ...valid, text: lone }), ['text']);
  assert.deepEqual(fieldsOf({ ...valid, html: 'x\udc00' }), ['html']);
  assert.deepEqual(fieldsOf({ ...valid, headers: { 'X-A': lone } }), ['headers.X-A']);
  assert.deepEqual(fieldsOf({ ...valid, tags: { a: lone } }), ['tags.a']);
  assert.deepEqual(fieldsOf({ ...valid, attachments: [{ filename: lone, content: 'aGk=' }] }), ['attachments[0].filename']);
  assert.ok(validateSendRequest({ ...valid, subject: 'paired 😀 is fine' }, limits).ok);
});

test('refuses "__proto__" as a header name instead of dropping it', FILE_TIMEOUT, () => {
  const body: unknown = JSON.parse(JSON.stringify(valid).replace(/}$/, ',"headers":{"__proto__":"x"}}'));
  assert.deepEqual(fieldsOf(body), ['headers.__proto__']);
  const constructor = validateSendRequest({ ...valid, headers: { constructor: 'x' } }, limits);
  assert.ok(constructor.ok && (constructor.value.headers['constructor'] as unknown) === 'x', 'an ordinary name that is also an Object property is kept');
});

test('names an unknown field with an empty name', FILE_TIMEOUT, () => {
  assert.deepEqual(fieldsOf({ ...valid, '': 1 }), ['""']);
});

test('lists at most 50 problems, then says how many more there are', FILE_TIMEOUT, () => {
  const body: Record<string, unknown> = { ...valid };
  for (let i = 0; i < 10_000; i++) body[`k${i}`] = 1;
  const result = validateSendRequest(body, limits);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.errors.length, 51);
  assert.deepEqual(
    result.errors.slice(0, 2).map((e) => e.field),
    ['k0', 'k1'],
  );
  assert.deepEqual(result.errors[50], { field: '(body)', message: '9950 more problems are not listed' });
});

test('a huge address list is refused without reading its entries', FILE_TIMEOUT, () => {
  const to = Array.from({ length: 1001 }, () => 1); // not even addresses: never examined
  const result = validateSendRequest({ from: 'a@example.jp', to, subject: 's', text: 't', replyTo: Array(2000).fill('x') }, limits);
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.errors.map((e) => [e.field, e.message]), [
    ['to', 'has 1001 entries; at most 1000 are read (and at most 5 recipients accepted)'],
    ['replyTo', 'has 2000 entries; at most 1000 are read (and at most 5 recipients accepted)'],
  ]);
});
