// VERP return paths (variable envelope return path): with RELAY_BOUNCE_DOMAIN set, each recipient's
// envelope sender is bounces+<message id>.<tag>@<bounce domain>, so a bounce sent to it names the
// message and the recipient even when an upstream rewrote Message-ID or the bounce quotes no headers.
//
// The tag is the first 8 hex characters of SHA-256 of the recipient key. It needs no secret: it only
// tells apart the (at most 100) recipients of one message, the message id itself is not guessable,
// and every event endpoint authenticates its caller before an event is applied. Anyone who sees the
// return path (the receiving MTA) already knows the recipient, so the hash gives nothing away.
import { createHash } from 'node:crypto';
import { MESSAGE_ID_PATTERN } from './ids';

export const VERP_PREFIX = 'bounces+';
const TAG_LENGTH = 8;
const VERP_LOCAL_PART = /^bounces\+([0-9a-f-]{36})\.([0-9a-f]{8})$/;

export interface VerpParts {
  messageId: string;
  tag: string;
}

/** The recipient's tag in a VERP return path: stable for one address, whatever its case. */
export function recipientTag(recipientKey: string): string {
  return createHash('sha256').update(recipientKey.toLowerCase()).digest('hex').slice(0, TAG_LENGTH);
}

/** bounces+<message id>.<tag>@<bounce domain> */
export function verpAddress(messageId: string, recipientKey: string, bounceDomain: string): string {
  if (!MESSAGE_ID_PATTERN.test(messageId)) throw new Error(`not a message id of this relay: ${messageId}`);
  return `${VERP_PREFIX}${messageId}.${recipientTag(recipientKey)}@${bounceDomain.toLowerCase()}`;
}

/**
 * The message id and tag a VERP return path carries, or undefined if `address` is not one. Case is
 * ignored (some MTAs fold it); with `bounceDomain`, an address at another domain is not ours either.
 */
export function parseVerpAddress(address: string, bounceDomain?: string): VerpParts | undefined {
  const trimmed = address
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return undefined;
  if (bounceDomain !== undefined && trimmed.slice(at + 1) !== bounceDomain.toLowerCase()) return undefined;
  const [, messageId, tag] = VERP_LOCAL_PART.exec(trimmed.slice(0, at)) ?? [];
  if (messageId === undefined || tag === undefined || !MESSAGE_ID_PATTERN.test(messageId)) return undefined;
  return { messageId, tag };
}
