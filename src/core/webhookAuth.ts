// How the event endpoints tell their upstream from anyone else, pure: SendGrid's Signed Event Webhook
// (ECDSA P-256 with SHA-256 over the timestamp header followed by the raw body, the signature base64
// DER, as @sendgrid/eventwebhook verifies it), its replay window, and a shared secret compared in
// constant time (the Event Grid subscription's static header or query parameter).
import { createHash, createPublicKey, createVerify, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * The verification key as SendGrid shows it (base64 of the DER SubjectPublicKeyInfo) or as PEM.
 * Throws, naming the setting, for anything that is not an EC P-256 public key.
 */
export function sendGridVerificationKey(setting: string): KeyObject {
  const text = setting.trim();
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY is not a public key (base64 DER or PEM)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA P-256 key, as SendGrid issues');
  }
  return key;
}

const BASE64 = /^[A-Za-z0-9+/]{16,400}={0,2}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

export type SignatureCheck = { ok: true } | { ok: false; problem: string };

/** Whether `signature` is SendGrid's over `timestamp` + `body`, made within `maxAgeSeconds` of `now`. */
export function checkSendGridSignature(
  key: KeyObject,
  headers: { signature: string | null; timestamp: string | null },
  body: Buffer,
  now: Date,
  maxAgeSeconds: number,
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, problem: 'X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required' };
  if (!UNIX_SECONDS.test(timestamp)) return { ok: false, problem: 'X-Twilio-Email-Event-Webhook-Timestamp is not a Unix time in seconds' };
  if (!BASE64.test(signature)) return { ok: false, problem: 'X-Twilio-Email-Event-Webhook-Signature is not base64' };
  const verifier = createVerify('sha256');
  verifier.update(timestamp, 'utf8');
  verifier.update(body);
  let valid: boolean;
  try {
    valid = verifier.verify({ key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // not DER at all
  }
  if (!valid) return { ok: false, problem: 'the signature does not match the body and timestamp' };
  // Checked after the signature, so that the answer says "replayed" only for a genuine old request.
  const age = now.getTime() / 1000 - Number(timestamp);
  if (Math.abs(age) > maxAgeSeconds) {
    return {
      ok: false,
      problem: `the signature's timestamp is ${Math.round(Math.abs(age))} s ${age > 0 ? 'old' : 'in the future'} (limit RELAY_EVENT_MAX_AGE_SECONDS=${maxAgeSeconds})`,
    };
  }
  return { ok: true };
}

/** Constant-time comparison of a presented secret with the configured one (hashed first, so lengths never leak). */
export function sameSecret(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
