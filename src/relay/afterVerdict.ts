// What follows a recipient's verdict, immediate (the smart host's reply) or late (an upstream's
// event): the suppression list learns of an address that does not exist or complained, and the
// bounce-rate breaker counts the sender domain's verdicts. Shared by the relay's steps and the event
// endpoints so that both apply the same rules.
import { domainOf } from '../core/address';
import type { Category } from '../core/categories';
import { ALL_SENDERS, type SuppressionEntry, suppressionExpiry, suppressionSourceFor } from '../core/suppression';
import { summarizeError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';
import type { DeliveryRow, SenderCounts } from './ports';

/**
 * Puts the row's address on the suppression list when its category calls for it (see
 * SUPPRESSING_CATEGORIES); never shortens an entry that already lasts longer. A failure is logged,
 * not thrown: the row is the record of truth and is already written.
 */
export async function suppressAfter(
  deps: RelayDeps,
  row: DeliveryRow,
  category: Category | undefined,
  at: Date,
  log: RelayLog,
): Promise<SuppressionEntry | undefined> {
  const source = suppressionSourceFor(category);
  if (source === undefined) return undefined;
  const entry: SuppressionEntry = {
    address: row.recipientKey,
    scope: ALL_SENDERS,
    reason: (row.response ?? category ?? source).slice(0, 500),
    category,
    source,
    createdAt: at,
    expiresAt: suppressionExpiry(at, deps.config.suppressionDays),
    messageId: row.messageId,
  };
  try {
    const existing = (await deps.suppressions.find(entry.address)).find((e) => e.scope === ALL_SENDERS);
    if (existing && lastsAtLeast(existing, entry)) return existing;
    await deps.suppressions.put(entry);
    log.log(`message ${row.messageId} to ${row.recipientKey}: added to the suppression list (${source}, ${category ?? ''})`);
    return entry;
  } catch (err) {
    log.error(`message ${row.messageId} to ${row.recipientKey}: ${category ?? source}, but the suppression list could not be updated (${summarizeError(err)})`);
    return undefined;
  }
}

function lastsAtLeast(existing: SuppressionEntry, entry: SuppressionEntry): boolean {
  if (existing.expiresAt === undefined) return true;
  return entry.expiresAt !== undefined && existing.expiresAt.getTime() >= entry.expiresAt.getTime();
}

/** Counts a verdict for the row's sender domain; in memory, so it costs no storage call here. */
export function countForBreaker(deps: RelayDeps, row: DeliveryRow, counts: SenderCounts, at: Date): void {
  deps.senders.record(domainOf(row.from), counts, at);
}
