// The suppression list's rules, pure: which outcomes put an address on the list, for whom, for how
// long, and whether an entry applies to a send. Bounces and complaints suppress an address for every
// sender; an unsubscribe suppresses it for the sender domain it came from only.
import type { Category } from './categories';

export const SUPPRESSION_SOURCES = ['bounce', 'complaint', 'unsubscribe', 'manual'] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

/** An entry for every sender; otherwise the scope is the sender domain (lower case) it applies to. */
export const ALL_SENDERS = 'all';

export interface SuppressionEntry {
  /** the recipient address in lower case, as the deliveries rows key it */
  address: string;
  /** ALL_SENDERS, or the sender domain an unsubscribe came from */
  scope: string;
  reason: string;
  category?: Category;
  source: SuppressionSource;
  createdAt: Date;
  /** undefined: never expires */
  expiresAt?: Date;
  /** the message whose bounce, complaint or unsubscribe caused the entry */
  messageId?: string;
}

/**
 * Which categories add an address on their own, and as what. Everything else (policy, reputation,
 * rate limits, the relay's own failures) says nothing about the address and never suppresses it.
 */
export const SUPPRESSING_CATEGORIES: Readonly<Partial<Record<Category, SuppressionSource>>> = {
  'invalid-recipient': 'bounce',
  complaint: 'complaint',
};

export function suppressionSourceFor(category: Category | undefined): SuppressionSource | undefined {
  return category === undefined ? undefined : SUPPRESSING_CATEGORIES[category];
}

/** When an entry made at `createdAt` expires; `days` 0 means never (RELAY_SUPPRESSION_DAYS). */
export function suppressionExpiry(createdAt: Date, days: number): Date | undefined {
  return days === 0 ? undefined : new Date(createdAt.getTime() + days * 86_400_000);
}

/** Whether `entry` stops a send from `senderDomain` at `now`: expired entries stop applying at once. */
export function entryApplies(entry: SuppressionEntry, senderDomain: string, now: Date): boolean {
  if (entry.expiresAt !== undefined && entry.expiresAt.getTime() <= now.getTime()) return false;
  return entry.scope === ALL_SENDERS || entry.scope === senderDomain.toLowerCase();
}

/** The entry that stops the send, if any: a for-every-sender entry before a sender-scoped one. */
export function applyingEntry(entries: readonly SuppressionEntry[], senderDomain: string, now: Date): SuppressionEntry | undefined {
  const applying = entries.filter((e) => entryApplies(e, senderDomain, now));
  return applying.find((e) => e.scope === ALL_SENDERS) ?? applying[0];
}

/** What a suppressed recipient's row says in `response`, naming the entry. */
export function suppressedResponse(entry: SuppressionEntry): string {
  const scope = entry.scope === ALL_SENDERS ? 'for every sender' : `for sender domain ${entry.scope}`;
  const until = entry.expiresAt ? ` until ${entry.expiresAt.toISOString()}` : '';
  return `not sent: ${entry.address} is on the suppression list ${scope}${until} (source ${entry.source}: ${entry.reason})`;
}

/**
 * Taken off a lookup's time before it is compared with the list's last change: the looking
 * instance's clock against the storage service's (NTP-synced hosts stay well below it).
 */
export const LIST_CHANGE_MARGIN_MS = 2_000;

/** Whether a lookup made at `lookedUpAt` may have missed a change; no known last change: it may. */
export function changedSinceLookup(lastChange: Date | undefined, lookedUpAt: Date): boolean {
  return lastChange === undefined || lastChange.getTime() >= lookedUpAt.getTime() - LIST_CHANGE_MARGIN_MS;
}
