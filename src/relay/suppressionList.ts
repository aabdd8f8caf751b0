// The suppression list's operator endpoints: read one address's entries, add or replace a manual
// entry, remove entries, and page through the list. An expired entry no longer applies to a send,
// so these answer as if it were gone (a DELETE removes it as well); no clean-up job has to run first.
import { shownAddress } from '../core/address';
import type { Category } from '../core/categories';
import { parseJsonBody } from '../core/jsonBody';
import { checkSuppressedAddress, validateDeleteQuery, validateListQuery, validateManualEntry, validateNoQuery } from '../core/suppressionRequest';
import type { Validated } from '../core/sendRequest';
import { ALL_SENDERS, type SuppressionEntry, type SuppressionSource } from '../core/suppression';
import { NotFoundError, PayloadTooLargeError, orStorageUnavailable, ValidationError } from '../errors';
import { checkContentType } from './acceptMessage';
import type { RelayDeps, RelayLog } from './deps';

/** One entry as the endpoints answer it. */
export interface SuppressionView {
  address: string;
  /** "all", or the sender domain the entry applies to */
  scope: string;
  reason: string;
  category: Category | null;
  source: SuppressionSource;
  createdAt: string;
  expiresAt: string | null;
  messageId: string | null;
}

/** GET of one address: the entry for every sender if there is one (else the first), and all of them. */
export interface AddressView extends SuppressionView {
  entries: SuppressionView[];
}

export interface SuppressionListPage {
  items: SuppressionView[];
  /** pass it back to read the next page; null on the last page */
  continuationToken: string | null;
}

export type Query = readonly (readonly [string, string])[];

/** A manual entry is a reason and two short fields; anything much larger is not one. */
export const MAX_ENTRY_BODY_BYTES = 16 * 1024;

export interface EntryInput {
  contentType: string | null;
  body: Buffer;
}

export async function getSuppression(deps: RelayDeps, rawAddress: string, query: Query): Promise<AddressView> {
  const address = valid(checkSuppressedAddress(rawAddress));
  valid(validateNoQuery(query));
  const entries = live(await storage('reading the suppression list', () => deps.suppressions.find(address)), deps.now()).sort(byScope);
  const [first] = entries;
  if (!first) throw new NotFoundError(`${address} is not on the suppression list`);
  return { ...toView(first), entries: entries.map(toView) };
}

export async function putSuppression(
  deps: RelayDeps,
  rawAddress: string,
  query: Query,
  input: EntryInput,
  log: RelayLog,
): Promise<{ created: boolean; entry: SuppressionView }> {
  const address = valid(checkSuppressedAddress(rawAddress));
  valid(validateNoQuery(query));
  checkContentType(input.contentType);
  if (input.body.length > MAX_ENTRY_BODY_BYTES)
    throw new PayloadTooLargeError(`The body is ${input.body.length} bytes; an entry is at most ${MAX_ENTRY_BODY_BYTES}`);
  const now = deps.now();
  const body = valid(parseJsonBody(input.body));
  const fields = valid(validateManualEntry(body, now));
  const entry: SuppressionEntry = { address, scope: fields.scope, reason: fields.reason, source: 'manual', createdAt: now };
  if (fields.expiresAt) entry.expiresAt = fields.expiresAt;
  const created = await storage('writing the suppression list', async () => {
    const existing = live(await deps.suppressions.find(address), now).some((e) => e.scope === entry.scope);
    await deps.suppressions.put(entry);
    return !existing;
  });
  log.log(`suppression list: ${address} (${entry.scope}) ${created ? 'added' : 'replaced'} by an operator`);
  return { created, entry: toView(entry) };
}

/** Removes the address's entries (of `?scope=` only, if given); NotFoundError when none was in force. */
export async function deleteSuppression(deps: RelayDeps, rawAddress: string, query: Query, log: RelayLog): Promise<void> {
  const address = valid(checkSuppressedAddress(rawAddress));
  const { scope } = valid(validateDeleteQuery(query));
  const now = deps.now();
  const removedLive = await storage('writing the suppression list', async () => {
    const targets = (await deps.suppressions.find(address)).filter((e) => scope === undefined || e.scope === scope);
    for (const target of targets) await deps.suppressions.delete(address, target.scope);
    return live(targets, now).length;
  });
  const which = scope === undefined ? '' : ` with scope ${scope}`;
  if (removedLive === 0) throw new NotFoundError(`${address} has no suppression entry${which}`);
  log.log(`suppression list: ${address} removed by an operator (${removedLive} entr${removedLive === 1 ? 'y' : 'ies'}${which})`);
}

export async function listSuppressions(deps: RelayDeps, query: Query): Promise<SuppressionListPage> {
  const input = valid(validateListQuery(query));
  const page = await storage('reading the suppression list', () => deps.suppressions.list(input));
  // An expired entry is left out, so a page may hold fewer than `limit` items: follow the token.
  return { items: live(page.items, deps.now()).map(toView), continuationToken: page.continuationToken ?? null };
}

/** Entries still in force at `now`, in the order given. */
function live(entries: readonly SuppressionEntry[], now: Date): SuppressionEntry[] {
  return entries.filter((e) => e.expiresAt === undefined || e.expiresAt.getTime() > now.getTime());
}

/** One address's entries: the one for every sender first, then by sender domain. */
function byScope(a: SuppressionEntry, b: SuppressionEntry): number {
  const rank = (e: SuppressionEntry) => (e.scope === ALL_SENDERS ? 0 : 1);
  return rank(a) - rank(b) || a.scope.localeCompare(b.scope);
}

export function toView(entry: SuppressionEntry): SuppressionView {
  return {
    address: shownAddress(entry.address),
    scope: entry.scope,
    reason: entry.reason,
    category: entry.category ?? null,
    source: entry.source,
    createdAt: entry.createdAt.toISOString(),
    expiresAt: entry.expiresAt?.toISOString() ?? null,
    messageId: entry.messageId ?? null,
  };
}

function valid<T>(validated: Validated<T>): T {
  if (!validated.ok) throw new ValidationError(validated.errors);
  return validated.value;
}

function storage<T>(what: string, action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, `Storage failed while ${what}. Retry later: the same request can be repeated safely.`);
}
