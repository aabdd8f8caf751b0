// One-click unsubscribe tokens (RFC 8058): `<base64url payload>.<base64url HMAC-SHA256>`, signed with
// RELAY_UNSUBSCRIBE_SECRET. The payload says who unsubscribes from whom: the recipient (lower case),
// the sender domain, the message and when the link was made. It is binary, not JSON, to keep the URL
// short: a path segment longer than 260 characters is refused by some front ends (IIS, HTTP.sys).
// Tokens do not expire: an unsubscribe link must work as long as the mail is in someone's mailbox.
// The secret may list several keys, comma-separated: the first signs, every one verifies, so a key
// can be rotated without breaking the links already sent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MESSAGE_ID_PATTERN } from './ids';

export interface UnsubscribePayload {
  /** the recipient address in lower case, as the deliveries rows key it */
  recipient: string;
  /** the sender domain the unsubscribe applies to, lower case */
  senderDomain: string;
  /** the relay's message id (UUIDv7) the link was sent with */
  messageId: string;
  issuedAt: Date;
}

export type TokenCheck = { ok: true; payload: UnsubscribePayload } | { ok: false; reason: string };

/** The only payload layout so far; a token of another version is refused, not guessed at. */
const VERSION = 1;
const HEADER_BYTES = 1 + 4 + 16 + 1; // version, issued at (seconds, uint32), message id, domain length
const MAC_BYTES = 32;
const MAX_ADDRESS_BYTES = 320;
/** Longer than any token this module makes (an address of 320 bytes and a domain of 253). */
export const MAX_TOKEN_LENGTH = 900;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Keeps a token of this relay from verifying as anything else signed with the same key.
const CONTEXT = 'relay-unsubscribe.';
const MIN_KEY_LENGTH = 32;

/** The keys of RELAY_UNSUBSCRIBE_SECRET, first the one that signs; keys are not trimmed (secrets never are). */
export function unsubscribeKeys(secret: string): string[] {
  return secret.split(',').filter((key) => key !== '');
}

/** What is wrong with the secret's key list, if anything (each key at least 32 characters). */
export function unsubscribeKeyProblem(secret: string): string | undefined {
  const keys = unsubscribeKeys(secret);
  if (keys.length === 0) return 'lists no key';
  const short = keys.findIndex((key) => key.length < MIN_KEY_LENGTH);
  if (short === -1) return undefined;
  return `key ${short + 1} of ${keys.length} is ${keys[short]?.length} characters long: each key must be at least ${MIN_KEY_LENGTH} (keys are comma-separated)`;
}

export function signUnsubscribeToken(payload: UnsubscribePayload, secret: string): string {
  const [key] = unsubscribeKeys(secret);
  if (key === undefined) throw new Error('RELAY_UNSUBSCRIBE_SECRET lists no key');
  const encoded = encodePayload(payload).toString('base64url');
  return `${encoded}.${mac(key, encoded).toString('base64url')}`;
}

/** Checks the signature against every key (in constant time), then the payload; never throws. */
export function verifyUnsubscribeToken(token: string, secret: string): TokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'too long' };
  const [encoded, signature, ...rest] = token.split('.');
  if (encoded === undefined || signature === undefined || rest.length > 0) return { ok: false, reason: 'not two dot-separated parts' };
  const given = strictBase64url(signature);
  if (!given || given.length !== MAC_BYTES) return { ok: false, reason: 'the signature is not base64url of 32 bytes' };
  const signed = unsubscribeKeys(secret).some((key) => timingSafeEqual(mac(key, encoded), given));
  if (!signed) return { ok: false, reason: 'the signature does not match' };
  // Signed by us, so the payload is one this module wrote; it is still checked field by field.
  const bytes = strictBase64url(encoded);
  if (!bytes) return { ok: false, reason: 'the payload is not base64url' };
  return decodePayload(bytes);
}

function mac(key: string, encodedPayload: string): Buffer {
  return createHmac('sha256', key)
    .update(CONTEXT + encodedPayload)
    .digest();
}

/** Decodes base64url without padding, refusing anything that does not encode back to the same text. */
function strictBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function encodePayload(payload: UnsubscribePayload): Buffer {
  if (!MESSAGE_ID_PATTERN.test(payload.messageId)) throw new Error(`"${payload.messageId}" is not a relay message id`);
  const domain = Buffer.from(payload.senderDomain.toLowerCase(), 'utf8');
  const recipient = Buffer.from(payload.recipient.toLowerCase(), 'utf8');
  if (domain.length === 0 || domain.length > 255) throw new Error('the sender domain must be 1 to 255 bytes');
  if (recipient.length === 0 || recipient.length > MAX_ADDRESS_BYTES) throw new Error(`the recipient must be 1 to ${MAX_ADDRESS_BYTES} bytes`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(VERSION, 0);
  header.writeUInt32BE(Math.floor(payload.issuedAt.getTime() / 1000), 1);
  Buffer.from(payload.messageId.replace(/-/g, ''), 'hex').copy(header, 5);
  header.writeUInt8(domain.length, 21);
  return Buffer.concat([header, domain, recipient]);
}

function decodePayload(bytes: Buffer): TokenCheck {
  if (bytes.length < 1) return { ok: false, reason: 'the payload is empty' };
  const version = bytes.readUInt8(0);
  if (version !== VERSION) return { ok: false, reason: `payload version ${version} is not known` };
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: 'the payload is too short' };
  const domainLength = bytes.readUInt8(21);
  const recipientBytes = bytes.length - HEADER_BYTES - domainLength;
  if (domainLength === 0 || recipientBytes <= 0 || recipientBytes > MAX_ADDRESS_BYTES) return { ok: false, reason: 'the payload has bad lengths' };
  const hex = bytes.subarray(5, 21).toString('hex');
  const messageId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let senderDomain: string;
  let recipient: string;
  try {
    senderDomain = decoder.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + domainLength));
    recipient = decoder.decode(bytes.subarray(HEADER_BYTES + domainLength));
  } catch {
    return { ok: false, reason: 'the payload is not UTF-8' };
  }
  if (!MESSAGE_ID_PATTERN.test(messageId)) return { ok: false, reason: 'the message id is not a relay message id' };
  if (!/^[a-z0-9.-]+$/.test(senderDomain)) return { ok: false, reason: 'the sender domain is not a domain name' };
  if (!/^[^\s@]+@[^\s@]+$/u.test(recipient) || recipient !== recipient.toLowerCase()) return { ok: false, reason: 'the recipient is not an address' };
  return { ok: true, payload: { recipient, senderDomain, messageId, issuedAt: new Date(bytes.readUInt32BE(1) * 1000) } };
}
