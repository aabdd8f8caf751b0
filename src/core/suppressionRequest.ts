// What an operator may send to the suppression list's endpoints, checked strictly and purely: the
// address in the path, a manual entry's body, a scope, and the list's query. Every refusal names the
// field, as the send request's validation does.
import type { FieldError } from '../errors';
import { checkAddress, CONTROL_CHARS, recipientKey, toAsciiDomain, UNPAIRED_SURROGATE } from './address';
import type { Validated } from './sendRequest';
import { ALL_SENDERS, SUPPRESSION_SOURCES, type SuppressionSource } from './suppression';

export const MAX_REASON_LENGTH = 500;
export const LIST_LIMIT = { default: 100, min: 1, max: 1000 } as const;
const MAX_TOKEN_LENGTH = 2048;
const ENTRY_FIELDS = new Set(['reason', 'expiresAt', 'scope']);
// RFC 3339 date-time, to the second at least; the offset is required so a time is never read as local.
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,9})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

export interface ManualEntryInput {
  reason: string;
  scope: string;
  expiresAt?: Date;
}

export interface ListInput {
  domain?: string;
  source?: SuppressionSource;
  limit: number;
  continuationToken?: string;
}

/**
 * The address as the list keys it (recipientKey: lower case, the domain in ASCII, quoted and unquoted
 * spellings alike), or the problem with it. The list shows each entry as this takes it back (shownAddress).
 */
export function checkSuppressedAddress(raw: string, field = 'address'): Validated<string> {
  // before trimming: a path segment "%0D%0Avictim@example.jp" is a broken client, not victim@example.jp
  if (CONTROL_CHARS.test(raw)) return invalid(field, 'must not contain control characters or line breaks');
  const checked = checkAddress(raw.trim());
  return checked.ok ? { ok: true, value: recipientKey(checked.value) } : invalid(field, checked.message);
}

/** "all", or a sender domain in lower-case ASCII. */
export function checkScope(raw: string, field = 'scope'): Validated<string> {
  if (raw.toLowerCase() === ALL_SENDERS) return { ok: true, value: ALL_SENDERS };
  const domain = CONTROL_CHARS.test(raw) ? undefined : toAsciiDomain(raw.trim());
  return domain === undefined ? invalid(field, `must be "${ALL_SENDERS}" or a sender domain like "example.jp"`) : { ok: true, value: domain };
}

export function validateManualEntry(body: unknown, now: Date): Validated<ManualEntryInput> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return invalid('(body)', 'must be a JSON object like {"reason": "..."}');
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(fields)) {
    if (!ENTRY_FIELDS.has(name)) errors.push({ field: name, message: 'is not a known field (reason, expiresAt, scope)' });
  }
  const reason = checkReason(fields.reason);
  if (!reason.ok) errors.push(...reason.errors);
  let expiresAt: Date | undefined;
  if (fields.expiresAt !== undefined) {
    const checked = checkFutureTime(fields.expiresAt, now, 'expiresAt');
    if (checked.ok) expiresAt = checked.value;
    else errors.push(...checked.errors);
  }
  let scope: string = ALL_SENDERS;
  if (fields.scope !== undefined) {
    const checked = typeof fields.scope === 'string' ? checkScope(fields.scope) : invalid<string>('scope', 'must be a string');
    if (checked.ok) scope = checked.value;
    else errors.push(...checked.errors);
  }
  if (errors.length > 0 || !reason.ok) return { ok: false, errors };
  return { ok: true, value: expiresAt === undefined ? { reason: reason.value, scope } : { reason: reason.value, scope, expiresAt } };
}

function checkReason(value: unknown): Validated<string> {
  if (value === undefined) return invalid('reason', 'is required: say why the address is suppressed');
  if (typeof value !== 'string') return invalid('reason', 'must be a string');
  const reason = value.trim();
  if (reason === '') return invalid('reason', 'must not be empty');
  if (reason.length > MAX_REASON_LENGTH) return invalid('reason', `is longer than ${MAX_REASON_LENGTH} characters`);
  if (CONTROL_CHARS.test(reason)) return invalid('reason', 'must not contain CR, LF or other control characters');
  if (UNPAIRED_SURROGATE.test(reason)) return invalid('reason', 'contains an unpaired surrogate (a \\uD800-\\uDFFF escape without its pair)');
  return { ok: true, value: reason };
}

/** An RFC 3339 time with its offset, which must be a real calendar time after `now`. */
export function checkFutureTime(value: unknown, now: Date, field: string): Validated<Date> {
  const example = 'an ISO 8601 time with its offset, like "2027-01-31T00:00:00Z"';
  if (typeof value !== 'string') return invalid(field, `must be ${example}`);
  const match = ISO_TIME.exec(value);
  if (!match) return invalid(field, `must be ${example}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || calendar.getUTCDate() !== day || calendar.getUTCMonth() !== month - 1) {
    return invalid(field, `${match[1]}-${match[2]}-${match[3]} is not a calendar date`);
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return invalid(field, `must be ${example}`);
  if (at.getTime() <= now.getTime()) return invalid(field, `must be in the future (it is ${now.toISOString()} now); DELETE removes an entry`);
  return { ok: true, value: at };
}

/** The list's query; `code` is the key Azure accepts in the query string, and is not ours to refuse. */
export function validateListQuery(query: readonly (readonly [string, string])[]): Validated<ListInput> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['domain', 'source', 'limit', 'continuationToken'], errors);
  const input: ListInput = { limit: LIST_LIMIT.default };
  if (values.domain !== undefined) {
    const domain = CONTROL_CHARS.test(values.domain) ? undefined : toAsciiDomain(values.domain.trim());
    if (domain === undefined) errors.push({ field: 'domain', message: 'must be a recipient domain like "example.jp"' });
    else input.domain = domain;
  }
  if (values.source !== undefined) {
    const source = SUPPRESSION_SOURCES.find((s) => s === values.source);
    if (source === undefined) errors.push({ field: 'source', message: `must be one of ${SUPPRESSION_SOURCES.join(', ')}` });
    else input.source = source;
  }
  if (values.limit !== undefined) {
    const limit = /^\d{1,7}$/.test(values.limit) ? Number(values.limit) : NaN;
    if (!(limit >= LIST_LIMIT.min && limit <= LIST_LIMIT.max))
      errors.push({ field: 'limit', message: `must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}` });
    else input.limit = limit;
  }
  if (values.continuationToken !== undefined) {
    const token = values.continuationToken;
    if (token === '' || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
      errors.push({ field: 'continuationToken', message: 'is not a token this list handed out (pass the last answer\'s "continuationToken" as it is)' });
    } else input.continuationToken = token;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: input };
}

/** The scope of a DELETE (`?scope=`), if one is given. */
export function validateDeleteQuery(query: readonly (readonly [string, string])[]): Validated<{ scope?: string }> {
  const errors: FieldError[] = [];
  const values = singleValues(query, ['scope'], errors);
  if (values.scope === undefined) return errors.length > 0 ? { ok: false, errors } : { ok: true, value: {} };
  const scope = checkScope(values.scope);
  if (!scope.ok) errors.push(...scope.errors);
  return errors.length > 0 || !scope.ok ? { ok: false, errors } : { ok: true, value: { scope: scope.value } };
}

/** A query with no parameter of its own: only Azure's `code` may be there. */
export function validateNoQuery(query: readonly (readonly [string, string])[]): Validated<Record<string, never>> {
  const errors: FieldError[] = [];
  singleValues(query, [], errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: {} };
}

function singleValues(query: readonly (readonly [string, string])[], known: readonly string[], errors: FieldError[]): Partial<Record<string, string>> {
  const values: Partial<Record<string, string>> = {};
  for (const [name, value] of query) {
    if (name === 'code') continue;
    if (!known.includes(name)) {
      errors.push({
        field: shownName(name),
        message: known.length > 0 ? `is not a known query parameter (${known.join(', ')})` : 'is not a known query parameter',
      });
    } else if (values[name] !== undefined) errors.push({ field: name, message: 'is given more than once' });
    else values[name] = value;
  }
  return values;
}

/** A query parameter's name as a field in the answer: never empty, no control characters. */
function shownName(name: string): string {
  const shown = name.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 100);
  return shown === '' ? '(empty name)' : shown;
}

function invalid<T>(field: string, message: string): Validated<T> {
  return { ok: false, errors: [{ field, message }] };
}
