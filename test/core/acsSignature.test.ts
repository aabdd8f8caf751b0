// ACS access-key authentication, pure: requests signed by the official client's own policy
// (@azure/communication-common) verify; a wrong key, a stale or future x-ms-date, a body or content
// hash changed after signing, another method, path, query or host, and a missing header do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { ACS_MAX_CLOCK_SKEW_MS, acsStringToSign, type AcsSignedRequest, verifyAcsSignature } from '../../src/core/acsSignature';
import { acsSignedHeaders, acsSignedHeadersAt } from '../support/acsSigning';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const KEY = Buffer.from('the-relay-acs-access-key-for-unit-tests-0123').toString('base64');
const OTHER_KEY = Buffer.from('another-key-the-relay-does-not-hold-01234567').toString('base64');
const URL_SENT = 'https://relay.example.net/emails:send?api-version=2025-09-01';
const BODY = JSON.stringify({ senderAddress: 'app@example.com', content: { subject: 'こんにちは', plainText: 'x' }, recipients: { to: [] } });

async function signedBy(key: string, method = 'POST', url = URL_SENT, body = BODY): Promise<AcsSignedRequest> {
  const h = await acsSignedHeaders(key, method, url, body);
  return {
    method,
    url,
    host: h.host ?? null,
    date: h['x-ms-date'] ?? null,
    contentHash: h['x-ms-content-sha256'] ?? null,
    authorization: h.authorization ?? null,
    body: Buffer.from(body),
  };
}

const verify = (request: AcsSignedRequest, now = new Date(), key = KEY) => verifyAcsSignature(request, key, now);
const reasonOf = (verdict: ReturnType<typeof verify>) => (verdict.ok ? 'accepted' : verdict.reason);

test("the official client's signature verifies, and each change to what it signed does not", FILE_TIMEOUT, async () => {
  const good = await signedBy(KEY);
  const signedAt = Date.parse(good.date!);
  const otherHash = createHash('sha256').update('{}').digest('base64');
  const cases: [string, AcsSignedRequest, Date, RegExp | 'accepted'][] = [
    ['as signed', good, new Date(), 'accepted'],
    ['14 minutes later', good, new Date(signedAt + ACS_MAX_CLOCK_SKEW_MS - 60_000), 'accepted'],
    ['the query encoded another way', { ...good, url: URL_SENT.replace('api-version', 'api%2Dversion') }, new Date(), 'accepted'],
    ['a host in another case is another host', { ...good, host: 'RELAY.example.net' }, new Date(), /signature does not match/],
    ['signed with another key', await signedBy(OTHER_KEY), new Date(), /signature does not match/],
    ['stale: 16 minutes later', good, new Date(signedAt + ACS_MAX_CLOCK_SKEW_MS + 60_000), /more than 15 minutes/],
    ['from 16 minutes ahead', good, new Date(signedAt - ACS_MAX_CLOCK_SKEW_MS - 60_000), /more than 15 minutes/],
    ['the body altered', { ...good, body: Buffer.from(BODY.replace('app@', 'evil@')) }, new Date(), /differs from the hash of its body/],
    ['the body extended', { ...good, body: Buffer.concat([good.body, Buffer.from(' ')]) }, new Date(), /differs from the hash/],
    ['the content hash altered to match another body', { ...good, contentHash: otherHash, body: Buffer.from('{}') }, new Date(), /signature does not match/],
    ['the date altered', { ...good, date: new Date(signedAt + 1000).toUTCString() }, new Date(), /signature does not match/],
    ['another method', { ...good, method: 'PUT' }, new Date(), /signature does not match/],
    ['another path', { ...good, url: URL_SENT.replace('emails:send', 'emails:sendx') }, new Date(), /signature does not match/],
    ['another api-version', { ...good, url: URL_SENT.replace('2025-09-01', '2023-03-31') }, new Date(), /signature does not match/],
    ['another host', { ...good, host: 'other.example.net' }, new Date(), /signature does not match/],
    ['no Authorization', { ...good, authorization: null }, new Date(), /no Authorization header/],
    ['no x-ms-date', { ...good, date: null }, new Date(), /no x-ms-date/],
    ['no x-ms-content-sha256', { ...good, contentHash: null }, new Date(), /no x-ms-content-sha256/],
    ['an empty Authorization', { ...good, authorization: '' }, new Date(), /no Authorization header/],
    ['a Bearer token', { ...good, authorization: 'Bearer abc' }, new Date(), /is not "HMAC-SHA256/],
    ['other signed headers', { ...good, authorization: good.authorization!.replace('x-ms-date;host', 'date;host') }, new Date(), /SignedHeaders must be/],
    ['a signature not base64', { ...good, authorization: good.authorization!.replace(/Signature=.*/, 'Signature=%%%') }, new Date(), /does not match/],
    ['a signature cut short', { ...good, authorization: good.authorization!.slice(0, -8) }, new Date(), /does not match/],
  ];
  const failures = cases.flatMap(([name, request, now, expected]) => {
    const reason = reasonOf(verify(request, now));
    return (expected === 'accepted' ? reason === 'accepted' : expected.test(reason)) ? [] : [`${name}: ${reason}`];
  });
  assert.deepEqual(failures, []);
});

test('a GET is signed over the hash of no body, and without a Host header the URL host is used', FILE_TIMEOUT, async () => {
  const url = 'http://127.0.0.1:7071/emails/operations/0190a0b0-0000-7000-8000-000000000000?api-version=2023-03-31';
  const get = await signedBy(KEY, 'GET', url, '');
  assert.equal(get.contentHash, createHash('sha256').update('').digest('base64'));
  assert.equal(get.host, '127.0.0.1:7071');
  assert.deepEqual(verify(get), { ok: true });
  assert.deepEqual(verify({ ...get, host: null }), { ok: true });
});

test('a signed date that is no date is refused as such', FILE_TIMEOUT, () => {
  const hash = createHash('sha256').update(BODY).digest('base64');
  const date = 'yesterday';
  const signature = createHmac('sha256', Buffer.from(KEY, 'base64'))
    .update(acsStringToSign('POST', URL_SENT, date, 'relay.example.net', hash))
    .digest('base64');
  const request: AcsSignedRequest = {
    method: 'POST',
    url: URL_SENT,
    host: 'relay.example.net',
    date,
    contentHash: hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    body: Buffer.from(BODY),
  };
  assert.match(reasonOf(verify(request)), /not an RFC 1123 date/);
});

test("the tests' own synchronous signer makes the official policy's headers", FILE_TIMEOUT, async () => {
  const official = await acsSignedHeaders(KEY, 'POST', URL_SENT, BODY);
  const own = acsSignedHeadersAt(KEY, 'POST', URL_SENT, BODY, new Date(official['x-ms-date']));
  assert.deepEqual(own, { 'x-ms-date': official['x-ms-date'], 'x-ms-content-sha256': official['x-ms-content-sha256'], authorization: official.authorization });
});
