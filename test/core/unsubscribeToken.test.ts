// The unsubscribe token: what it carries survives the round trip, and any change to any part of it,
// another key, or a garbled encoding is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { newMessageId } from '../../src/core/ids';
import { MAX_TOKEN_LENGTH, signUnsubscribeToken, unsubscribeKeyProblem, verifyUnsubscribeToken } from '../../src/core/unsubscribeToken';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const SECRET = 'a-test-secret-of-at-least-32-characters';
const OTHER = 'another-secret-of-at-least-32-characters';
const ISSUED = new Date('2026-03-01T10:00:00.000Z');
const PAYLOAD = { recipient: 'taro.yamada@example.co.jp', senderDomain: 'example.jp', messageId: newMessageId(ISSUED), issuedAt: ISSUED };

function refused(token: string, secret = SECRET): string {
  const checked = verifyUnsubscribeToken(token, secret);
  assert.equal(checked.ok, false, `token ${token} was accepted`);
  return checked.ok ? '' : checked.reason;
}

/** The token with byte `index` of its decoded part `part` (0 payload, 1 signature) changed. */
function flipByte(token: string, part: 0 | 1, index: number): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[index] = bytes[index] ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

test('a token verifies with its secret and gives back what was signed', FILE_TIMEOUT, () => {
  const token = signUnsubscribeToken(PAYLOAD, SECRET);
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(verifyUnsubscribeToken(token, SECRET), { ok: true, payload: PAYLOAD });
});

test('the recipient and the domain are kept in lower case; issued at is kept to the second', FILE_TIMEOUT, () => {
  const token = signUnsubscribeToken(
    { ...PAYLOAD, recipient: 'Taro@Example.NET', senderDomain: 'Example.JP', issuedAt: new Date('2026-03-01T10:00:00.999Z') },
    SECRET,
  );
  const checked = verifyUnsubscribeToken(token, SECRET);
  assert.ok(checked.ok);
  assert.equal(checked.payload.recipient, 'taro@example.net');
  assert.equal(checked.payload.senderDomain, 'example.jp');
  assert.deepEqual(checked.payload.issuedAt, ISSUED);
});

test('a typical link stays far below the 260 characters of a path segment', FILE_TIMEOUT, () => {
  assert.ok(signUnsubscribeToken(PAYLOAD, SECRET).length < 140);
});

test('a token does not expire: one issued years ago still verifies', FILE_TIMEOUT, () => {
  const old = { ...PAYLOAD, issuedAt: new Date('2020-01-01T00:00:00.000Z') };
  assert.deepEqual(verifyUnsubscribeToken(signUnsubscribeToken(old, SECRET), SECRET), { ok: true, payload: old });
});

test('every byte of the payload and of the signature is covered', FILE_TIMEOUT, () => {
  const token = signUnsubscribeToken(PAYLOAD, SECRET);
  const [payload, signature] = token.split('.').map((p) => Buffer.from(p, 'base64url'));
  for (let i = 0; i < payload.length; i++) assert.equal(refused(flipByte(token, 0, i)), 'the signature does not match', `payload byte ${i}`);
  for (let i = 0; i < signature.length; i++) assert.equal(refused(flipByte(token, 1, i)), 'the signature does not match', `signature byte ${i}`);
});

test('a payload changed to another recipient, re-encoded, is refused', FILE_TIMEOUT, () => {
  const token = signUnsubscribeToken(PAYLOAD, SECRET);
  const other = signUnsubscribeToken({ ...PAYLOAD, recipient: 'someone.else@example.co.jp' }, SECRET);
  const spliced = `${other.split('.')[0]}.${token.split('.')[1]}`;
  assert.equal(refused(spliced), 'the signature does not match');
});

test('another secret does not verify it', FILE_TIMEOUT, () => {
  assert.equal(refused(signUnsubscribeToken(PAYLOAD, SECRET), OTHER), 'the signature does not match');
});

test('rotation: the first key signs, every listed key verifies', FILE_TIMEOUT, () => {
  const before = signUnsubscribeToken(PAYLOAD, SECRET);
  const rotated = `${OTHER},${SECRET}`;
  assert.ok(verifyUnsubscribeToken(before, rotated).ok, 'a link signed with the old key still works');
  const after = signUnsubscribeToken(PAYLOAD, rotated);
  assert.ok(verifyUnsubscribeToken(after, OTHER).ok, 'the new key signs');
  assert.equal(refused(after, SECRET), 'the signature does not match');
});

test('a key list with a short key, or none, is named as the problem', FILE_TIMEOUT, () => {
  assert.equal(unsubscribeKeyProblem(`${SECRET},${OTHER}`), undefined);
  assert.match(unsubscribeKeyProblem(`${SECRET},short`) ?? '', /key 2 of 2 is 5 characters long/);
  assert.equal(unsubscribeKeyProblem(','), 'lists no key');
});

test('bad encodings and shapes are refused without throwing', FILE_TIMEOUT, () => {
  const token = signUnsubscribeToken(PAYLOAD, SECRET);
  const [payload, signature] = token.split('.') as [string, string];
  const cases: Record<string, string> = {
    empty: '',
    'no dot': payload + signature,
    'three parts': `${token}.x`,
    'padding in the signature': `${payload}.${signature}=`,
    'base64 "+" in the signature': `${payload}.${signature.slice(0, -1)}+`,
    'a short signature': `${payload}.${signature.slice(0, 20)}`,
    'non-ASCII': `${payload}é.${signature}`,
    'percent-encoded': encodeURIComponent(`${payload}/.${signature}`),
    'too long': `${'A'.repeat(MAX_TOKEN_LENGTH)}.${signature}`,
    'spaces around': ` ${token} `,
  };
  for (const [name, bad] of Object.entries(cases)) assert.doesNotThrow(() => refused(bad), name);
});

test('a signature over a payload of an unknown version or a bad layout is refused for that', FILE_TIMEOUT, () => {
  // made with the secret, as only a bug or a later version of this module could
  const forge = (bytes: Buffer) => {
    const encoded = bytes.toString('base64url');
    return `${encoded}.${createHmac('sha256', SECRET).update(`relay-unsubscribe.${encoded}`).digest('base64url')}`;
  };
  const good = Buffer.from(signUnsubscribeToken(PAYLOAD, SECRET).split('.')[0], 'base64url');
  const v2 = Buffer.from(good);
  v2[0] = 2;
  assert.equal(refused(forge(v2)), 'payload version 2 is not known');
  assert.equal(refused(forge(good.subarray(0, 10))), 'the payload is too short');
  assert.equal(refused(forge(good.subarray(0, 22 + 10))), 'the payload has bad lengths', 'nothing left for the recipient');
  assert.equal(refused(forge(Buffer.concat([good, Buffer.from([0xff])]))), 'the payload is not UTF-8');
  assert.ok(verifyUnsubscribeToken(forge(good), SECRET).ok, 'the forging helper itself signs as the module does');
});

test('signing refuses what is not a relay message id', FILE_TIMEOUT, () => {
  assert.throws(() => signUnsubscribeToken({ ...PAYLOAD, messageId: 'not-an-id' }, SECRET), /not a relay message id/);
});
