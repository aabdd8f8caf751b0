// Finding the recipient row an upstream's event is about, strongest evidence first:
//   1. a VERP return path (bounces+<message id>.<tag>@RELAY_BOUNCE_DOMAIN): the message's rows, and
//      the one whose tag matches; it survives an upstream that rewrites Message-ID or the recipient;
//   2. the relay's own Message-ID, <message id@sender domain>, with the event's recipient address;
//   3. the upstream's id from its 250 reply, looked up in the events table's `sent` events of the
//      last UPSTREAM_ID_LOOKBACK_HOURS (one query per hour: rare, so no index is written per send).
import { recipientKey as keyOfAddress } from '../core/address';
import { MESSAGE_ID_PATTERN } from '../core/ids';
import { parseVerpAddress, recipientTag } from '../core/verp';
import type { RelayDeps } from './deps';
import type { StoredRow } from './ports';
import type { UpstreamEvent } from './upstreamEvents';

export const UPSTREAM_ID_LOOKBACK_HOURS = 72;

export type MatchedBy = 'verp' | 'message-id' | 'upstream-id';

export interface Match {
  stored: StoredRow;
  by: MatchedBy;
}

export async function matchUpstreamEvent(deps: RelayDeps, event: UpstreamEvent): Promise<Match | undefined> {
  const byVerp = await matchByVerp(deps, event);
  if (byVerp) return { stored: byVerp, by: 'verp' };
  const recipientKey = keyOf(event.recipient);
  const messageId = relayMessageIdOf(event.internetMessageId);
  if (messageId && recipientKey) {
    const stored = await deps.deliveries.get(messageId, recipientKey);
    if (stored) return { stored, by: 'message-id' };
  }
  if (event.upstreamId) {
    // The send came before the event: search back from the event's time (never from the future).
    const now = deps.now().getTime();
    const before = new Date(Number.isFinite(event.at.getTime()) ? Math.min(event.at.getTime(), now) : now);
    const sent = await deps.events.findSent(event.upstreamId, before, UPSTREAM_ID_LOOKBACK_HOURS);
    // One 250 per recipient transaction: several hits only if an upstream reuses ids; the recipient decides.
    const hit = sent.find((s) => s.recipientKey === recipientKey) ?? (sent.length === 1 ? sent[0] : undefined);
    if (hit) {
      const stored = await deps.deliveries.get(hit.messageId, hit.recipientKey);
      if (stored) return { stored, by: 'upstream-id' };
    }
  }
  return undefined;
}

async function matchByVerp(deps: RelayDeps, event: UpstreamEvent): Promise<StoredRow | undefined> {
  if (!event.returnPath) return undefined;
  const parts = parseVerpAddress(event.returnPath, deps.config.bounceDomain);
  if (!parts) return undefined;
  const rows = await deps.deliveries.listMessage(parts.messageId);
  const row = rows.find((r) => recipientTag(r.recipientKey) === parts.tag);
  return row ? deps.deliveries.get(row.messageId, row.recipientKey) : undefined;
}

/** The relay's message id in a Message-ID it wrote (<id@sender domain>), or undefined for anyone else's. */
export function relayMessageIdOf(internetMessageId: string | undefined): string | undefined {
  if (!internetMessageId) return undefined;
  const match = /^\s*<?([^@<>\s]+)@[^<>\s]+>?\s*$/.exec(internetMessageId);
  const id = match?.[1]?.toLowerCase();
  return id !== undefined && MESSAGE_ID_PATTERN.test(id) ? id : undefined;
}

/** The key of an event's recipient, as an upstream writes it: bare, in <...>, quoted or not. */
function keyOf(recipient: string): string {
  const bare = recipient
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  return bare === '' ? '' : keyOfAddress(bare);
}
