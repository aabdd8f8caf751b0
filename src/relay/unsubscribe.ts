// One-click unsubscribe (RFC 8058): the link in List-Unsubscribe carries a signed token naming the
// recipient, the sender domain and the message. Reading the link changes nothing (link scanners
// follow every GET); posting to it suppresses the address for that sender domain only. Whoever has the
// link is the recipient it was sent to, so showing them their own address reveals nothing.
import { entryApplies, type SuppressionEntry } from '../core/suppression';
import { type UnsubscribePayload, verifyUnsubscribeToken } from '../core/unsubscribeToken';
import { NotFoundError, PayloadTooLargeError, StorageUnavailableError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';

export type UnsubscribeLink = UnsubscribePayload;

export interface UnsubscribeResult {
  link: UnsubscribeLink;
  /** false when an entry for this sender domain was already in place (it is kept as it was) */
  added: boolean;
}

/** The link's payload, or NotFoundError for a token this relay did not sign (forged, altered, garbled). */
export function readUnsubscribeLink(deps: RelayDeps, token: string, log: RelayLog): UnsubscribeLink {
  const secret = deps.config.unsubscribeSecret;
  if (!secret) {
    log.warn('unsubscribe: RELAY_UNSUBSCRIBE_SECRET is not set, so no unsubscribe link can be checked');
    throw notALink();
  }
  const checked = verifyUnsubscribeToken(token, secret);
  if (!checked.ok) {
    // the token itself is not logged: it is the recipient's link
    log.log(`unsubscribe: a link was refused (${checked.reason})`);
    throw notALink();
  }
  return checked.payload;
}

/**
 * Suppresses the link's address for its sender domain. Idempotent: an entry of that scope still in
 * force is kept as it is (its createdAt, and a manual entry's reason); one that expired is replaced.
 */
export async function unsubscribe(deps: RelayDeps, token: string, log: RelayLog): Promise<UnsubscribeResult> {
  const link = readUnsubscribeLink(deps, token, log);
  const now = deps.now();
  const label = `unsubscribe: message ${link.messageId}: ${link.recipient} from sender domain ${link.senderDomain}`;
  try {
    const entries = await deps.suppressions.find(link.recipient);
    const existing = entries.find((e) => e.scope === link.senderDomain && entryApplies(e, link.senderDomain, now));
    if (existing) {
      log.log(`${label}: already suppressed (source ${existing.source}), kept as it was`);
      return { link, added: false };
    }
    const entry: SuppressionEntry = {
      address: link.recipient,
      scope: link.senderDomain,
      reason: 'one-click unsubscribe (RFC 8058)',
      source: 'unsubscribe',
      createdAt: now,
      messageId: link.messageId,
    };
    await deps.suppressions.put(entry);
    log.log(`${label}: suppressed`);
    return { link, added: true };
  } catch (err) {
    throw new StorageUnavailableError('Storage did not answer, so the unsubscribe was not recorded. Retry later.', err);
  }
}

/** RFC 8058's body is one short form field; anything this long is not a one-click request. */
export const MAX_ONE_CLICK_BODY_BYTES = 4096;

/** The body itself is not required (clients differ in what they send); only its size is checked. */
export function checkOneClickBodyLength(bytes: number): void {
  if (bytes > MAX_ONE_CLICK_BODY_BYTES) {
    throw new PayloadTooLargeError(`A one-click unsubscribe body is "List-Unsubscribe=One-Click"; at most ${MAX_ONE_CLICK_BODY_BYTES} bytes are read`);
  }
}

function notALink(): NotFoundError {
  return new NotFoundError('This unsubscribe link is not valid: it was not made by this relay, or it was changed or cut short');
}
