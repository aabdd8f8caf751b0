// The operators' message list, its pure half: the query's filters, checked strictly (each problem
// names its parameter), and the continuation token. A token is a position in the newest-first order
// (acceptance time, message id) bound to the filters it was made for and sealed with a checksum, so
// a cut, edited or foreign token is refused with 400 instead of silently listing something else. It
// is not a secret: an operator who forges one only chooses where their own list starts.
import { createHash } from 'node:crypto';
import type { FieldError } from '../errors';
import { checkSuppressedAddress } from './suppressionRequest';
import { MESSAGE_ID_PATTERN } from './ids';
import type { Validated } from './sendRequest';

export const MESSAGE_LIST_LIMIT = { min: 1, max: 200, default: 50 } as const;
/** Without `since` the list reaches this far back from `until`. */
export const DEFAULT_LIST_DAYS = 7;
/** The oldest `since` accepted, counted back from now: nothing is kept longer than this. */
export const MAX_LIST_DAYS = 400;
/** Each tag filter is one comparison of the index query, which Azure caps at 15 in all. */
export const MAX_TAG_FILTERS = 5;
export const LIST_STATUSES = ['queued', 'completed'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** A place in the newest-first order: everything accepted before `at`, or at `at` with a greater id. */
export interface ListPosition {
  at: Date;
  /** '' stands before every id: the position then includes all of `at` */
  messageId: string;
}

export interface MessageListQuery {
  status?: ListStatus;
  /** lower case */
  recipient?: string;
  /** lower case */
  from?: string;
  tags: Record<string, string>;
  /** inclusive */
  since: Date;
  /** exclusive */
  until: Date;
  limit: number;
  /** where this page starts, from the token */
  after?: ListPosition;
  /** the filters as given, which a token is bound to */
  fingerprint: string;
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const KNOWN = ['status', 'recipient', 'from', 'since', 'until', 'limit', 'continuationToken'];

export function validateMessageListQuery(query: readonly (readonly [string, string])[], now: Date): Validated<MessageListQuery> {
  const errors: FieldError[] = [];
  const values = new Map<string, string>();
  const tags: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name === 'code') continue;
    const field = shownName(name);
    const isTag = name.startsWith('tag.');
    if (!isTag && !KNOWN.includes(name)) errors.push({ field, message: `is not a known query parameter (${KNOWN.join(', ')}, tag.<name>)` });
    else if (values.has(name)) errors.push({ field, message: 'is given more than once' });
    else if (!isTag) values.set(name, value);
    else if (!TAG_NAME.test(name.slice(4))) errors.push({ field, message: 'a tag name is a letter then up to 63 letters, digits or "_"' });
    else if (value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
      errors.push({ field, message: 'must be 1 to 256 characters without control characters' });
    } else {
      values.set(name, value);
      tags[name.slice(4)] = value;
    }
  }
  if (Object.keys(tags).length > MAX_TAG_FILTERS) errors.push({ field: 'tag', message: `at most ${MAX_TAG_FILTERS} tag filters at once` });

  const input: MessageListQuery = { tags, since: now, until: now, limit: MESSAGE_LIST_LIMIT.default, fingerprint: '' };
  const status = values.get('status');
  if (status !== undefined) {
    if ((LIST_STATUSES as readonly string[]).includes(status)) input.status = status as ListStatus;
    else errors.push({ field: 'status', message: `must be one of ${LIST_STATUSES.join(', ')}` });
  }
  for (const field of ['recipient', 'from'] as const) {
    const raw = values.get(field);
    if (raw === undefined) continue;
    const checked = checkSuppressedAddress(raw, field);
    if (checked.ok) input[field] = checked.value;
    else errors.push(...checked.errors);
  }
  const limit = values.get('limit');
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (n >= MESSAGE_LIST_LIMIT.min && n <= MESSAGE_LIST_LIMIT.max) input.limit = n;
    else errors.push({ field: 'limit', message: `must be a whole number from ${MESSAGE_LIST_LIMIT.min} to ${MESSAGE_LIST_LIMIT.max}` });
  }
  const until = readTime(values.get('until'), 'until', errors) ?? new Date(now.getTime() + 60_000);
  const since = readTime(values.get('since'), 'since', errors) ?? new Date(until.getTime() - DEFAULT_LIST_DAYS * 86_400_000);
  input.until = until;
  input.since = since;
  if (since.getTime() >= until.getTime()) errors.push({ field: 'since', message: 'must be earlier than until' });
  if (since.getTime() < now.getTime() - MAX_LIST_DAYS * 86_400_000) errors.push({ field: 'since', message: `must be within the last ${MAX_LIST_DAYS} days` });
  // nothing is accepted in the future: a far `until` would only make pages of empty hours to walk
  if (until.getTime() > now.getTime() + 86_400_000) errors.push({ field: 'until', message: 'must not be more than a day ahead of now' });
  input.fingerprint = queryFingerprint(input, values.get('since'), values.get('until'));
  if (errors.length > 0) return { ok: false, errors };

  const token = values.get('continuationToken');
  if (token !== undefined) {
    // The first page's range holds for every later one: a default `until` ("now") must not move on.
    const read = readToken(token, input.fingerprint);
    if (!read) return { ok: false, errors: [{ field: 'continuationToken', message: TOKEN_REFUSED }] };
    Object.assign(input, read);
  }
  return { ok: true, value: input };
}

const TOKEN_REFUSED = 'is not a token this list handed out for these filters (pass the last answer\'s "continuationToken" as it is, with the same filters)';

function readTime(raw: string | undefined, field: string, errors: FieldError[]): Date | undefined {
  if (raw === undefined) return undefined;
  const at = ISO_TIME.test(raw) ? new Date(raw) : undefined;
  if (at && !Number.isNaN(at.getTime()) && at.getUTCFullYear() >= 2000 && at.getUTCFullYear() < 2200) return at;
  errors.push({ field, message: 'must be an ISO 8601 time with its offset, like 2026-12-01T09:00:00Z' });
  return undefined;
}

/** What a token is bound to: the filters as given, so a token cannot move to another query. */
function queryFingerprint(q: MessageListQuery, since: string | undefined, until: string | undefined): string {
  const tags = Object.entries(q.tags).sort(([a], [b]) => a.localeCompare(b));
  const parts = [q.status, q.recipient, q.from, tags, since, until];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function seal(payload: string): string {
  return createHash('sha256').update(`relay-message-list\n${payload}`).digest('base64url').slice(0, 22);
}

/** The token for the page after `position`, carrying the range the first page was read over. */
export function encodeListToken(position: ListPosition, q: MessageListQuery): string {
  const fields = { v: 1, at: position.at.getTime(), id: position.messageId, s: q.since.getTime(), u: q.until.getTime(), q: q.fingerprint };
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${seal(payload)}`;
}

function readToken(token: string, fingerprint: string): Pick<MessageListQuery, 'after' | 'since' | 'until'> | undefined {
  const match = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})$/.exec(token);
  const [, payload = '', checksum] = match ?? [];
  if (!match || seal(payload) !== checksum) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { v, at, id, s, u, q } = (parsed ?? {}) as Record<string, unknown>;
  if (v !== 1 || q !== fingerprint || typeof id !== 'string' || ![at, s, u].every((n) => typeof n === 'number' && Number.isSafeInteger(n))) return undefined;
  const [atMs, sinceMs, untilMs] = [at as number, s as number, u as number];
  if (id !== '' && !MESSAGE_ID_PATTERN.test(id)) return undefined;
  if (!(sinceMs <= atMs && atMs < untilMs)) return undefined;
  return { after: { at: new Date(atMs), messageId: id }, since: new Date(sinceMs), until: new Date(untilMs) };
}

function shownName(name: string): string {
  const shown = name.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 100);
  return shown === '' ? '(empty name)' : shown;
}
