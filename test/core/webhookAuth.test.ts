// The event endpoints' authentication, pure: SendGrid's signature (against SendGrid's own published
// test vector, and keys made here), its replay window, and the shared secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { checkSendGridSignature, sameSecret, sendGridVerificationKey } from '../../src/core/webhookAuth';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

// The vector of @sendgrid/eventwebhook's own tests: key as SendGrid shows it, payload, timestamp, signature.
const SG_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const SG_SIGNATURE = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const SG_TIMESTAMP = '1588788367';
const SG_PAYLOAD = Buffer.from(JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }));
const AT_SG_TIME = new Date(Number(SG_TIMESTAMP) * 1000 + 5000);

test("SendGrid's published vector verifies; any change to it does not", FILE_TIMEOUT, () => {
  const key = sendGridVerificationKey(SG_KEY);
  const check = (signature: string | null, timestamp: string | null, body = SG_PAYLOAD, now = AT_SG_TIME) =>
    checkSendGridSignature(key, { signature, timestamp }, body, now, 600);
  assert.deepEqual(check(SG_SIGNATURE, SG_TIMESTAMP), { ok: true });
  assert.match(failure(check(SG_SIGNATURE, SG_TIMESTAMP, Buffer.from('payload'))), /does not match/);
  assert.match(failure(check(SG_SIGNATURE.replace('H2j', 'H3j'), SG_TIMESTAMP)), /does not match/);
  assert.match(failure(check(SG_SIGNATURE, '1588788368')), /does not match/);
  assert.match(failure(check(SG_SIGNATURE, 'timestamp')), /Unix time/);
  assert.match(failure(check(null, SG_TIMESTAMP)), /required/);
  assert.match(failure(check(SG_SIGNATURE, null)), /required/);
  assert.match(failure(check('not base64 at all!', SG_TIMESTAMP)), /not base64/);
  assert.match(failure(check(Buffer.from('garbage that is no DER signature').toString('base64'), SG_TIMESTAMP)), /does not match/);
  // genuine, but too old, or too far ahead
  assert.match(failure(check(SG_SIGNATURE, SG_TIMESTAMP, SG_PAYLOAD, new Date(AT_SG_TIME.getTime() + 3_600_000))), /s old/);
  assert.match(failure(check(SG_SIGNATURE, SG_TIMESTAMP, SG_PAYLOAD, new Date(AT_SG_TIME.getTime() - 3_600_000))), /in the future/);
});

test('a key made here, in PEM or base64 DER, verifies its own signatures over timestamp + raw bytes', FILE_TIMEOUT, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const body = Buffer.from('[{"event":"bounce","email":"ユーザー@example.jp"}]');
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), privateKey).toString('base64');
  const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  for (const setting of [der, pem]) {
    const key = sendGridVerificationKey(setting);
    assert.deepEqual(checkSendGridSignature(key, { signature, timestamp }, body, new Date(), 600), { ok: true });
  }
  // the raw bytes are signed: the same JSON with one more space is another body
  assert.match(
    failure(checkSendGridSignature(sendGridVerificationKey(der), { signature, timestamp }, Buffer.from(`${body.toString()} `), new Date(), 600)),
    /does not match/,
  );
});

test('a verification key that is not an EC P-256 public key is refused, naming the setting', FILE_TIMEOUT, () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  for (const setting of ['not a key', rsa, p384, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----']) {
    assert.throws(() => sendGridVerificationKey(setting), /RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY/);
  }
});

test('secrets compare equal only when equal', FILE_TIMEOUT, () => {
  const secret = 'a-secret-of-at-least-thirty-two-characters';
  assert.equal(sameSecret(secret, secret), true);
  assert.equal(sameSecret(`${secret}x`, secret), false);
  assert.equal(sameSecret(secret.slice(0, -1), secret), false);
  assert.equal(sameSecret('', secret), false);
  assert.equal(sameSecret(null, secret), false);
  assert.equal(sameSecret(undefined, secret), false);
});

function failure(check: { ok: true } | { ok: false; problem: string }): string {
  assert.equal(check.ok, false, 'expected the check to fail');
  return check.ok ? '' : check.problem;
}
