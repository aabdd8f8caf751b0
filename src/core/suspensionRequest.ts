// What an operator may send to the suspension endpoints, checked strictly and purely: the kind and
// name in the path, and a suspension's body. Every refusal names the field.
import type { FieldError } from '../errors';
import { CONTROL_CHARS, UNPAIRED_SURROGATE } from './address';
import type { SuspendableKind } from './policy/types';
import { SUSPENDABLE_KINDS } from './reactions';
import type { Validated } from './sendRequest';
import { checkFutureTime, MAX_REASON_LENGTH } from './suppressionRequest';

/** Longer than any carrier's block worth waiting out; a longer stop is a pause of the sender or a policy change. */
export const MAX_SUSPENSION_SECONDS = 30 * 86400;
export const MAX_NAME_LENGTH = 100;
const BODY_FIELDS = new Set(['reason', 'until', 'duration', 'rateFactor']);
const DURATION = /^(\d{1,8})(s|m|min|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, min: 60, h: 3600, d: 86400 };

export interface SuspensionInput {
  reason: string;
  until: Date;
  /** a slow-down: the rate is multiplied by it; absent, nothing is sent until `until` */
  rateFactor?: number;
}

/** The kind in the path, or undefined when it is none (the endpoint answers 404 naming it). */
export function suspendableKind(raw: string): SuspendableKind | undefined {
  return SUSPENDABLE_KINDS.find((k) => k === raw);
}

/** A name in the path as written: a destination's name or a smart host's; what it must name is the use-case's check. */
export function checkSuspendedName(raw: string): Validated<string> {
  if (raw === '') return invalid('name', 'must not be empty');
  if (CONTROL_CHARS.test(raw) || /[\u2028\u2029]/.test(raw)) return invalid('name', 'must not contain control characters or line breaks');
  if (UNPAIRED_SURROGATE.test(raw)) return invalid('name', 'contains an unpaired surrogate');
  if (raw.length > MAX_NAME_LENGTH) return invalid('name', `is longer than ${MAX_NAME_LENGTH} characters`);
  return { ok: true, value: raw };
}

/** "90s", "30m" (or "30min"), "1h", "2d" in seconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? NaN);
}

export function validateSuspension(body: unknown, now: Date): Validated<SuspensionInput> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return invalid('(body)', 'must be a JSON object like {"reason": "...", "duration": "1h"}');
  }
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(fields)) {
    if (!BODY_FIELDS.has(name)) errors.push({ field: name, message: 'is not a known field (reason, until, duration, rateFactor)' });
  }
  const reason = checkReason(fields.reason, errors);
  const until = checkEnd(fields.until, fields.duration, now, errors);
  let rateFactor: number | undefined;
  if (fields.rateFactor !== undefined) {
    const f = fields.rateFactor;
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f >= 1) {
      errors.push({ field: 'rateFactor', message: 'must be a number between 0 and 1 (0.5 halves the rate); leave it out to stop sending' });
    } else rateFactor = f;
  }
  if (errors.length > 0 || reason === undefined || until === undefined) return { ok: false, errors };
  return { ok: true, value: rateFactor === undefined ? { reason, until } : { reason, until, rateFactor } };
}

function checkReason(value: unknown, errors: FieldError[]): string | undefined {
  const fail = (message: string) => void errors.push({ field: 'reason', message });
  if (value === undefined) return fail('is required: say why it is suspended');
  if (typeof value !== 'string') return fail('must be a string');
  const reason = value.trim();
  if (reason === '') return fail('must not be empty');
  if (reason.length > MAX_REASON_LENGTH) return fail(`is longer than ${MAX_REASON_LENGTH} characters`);
  if (CONTROL_CHARS.test(reason) || /[\u2028\u2029]/.test(reason)) return fail('must not contain CR, LF or other control characters');
  if (UNPAIRED_SURROGATE.test(reason)) return fail('contains an unpaired surrogate (a \\uD800-\\uDFFF escape without its pair)');
  return reason;
}

/** `until` or `duration`, exactly one, ending after `now` and within MAX_SUSPENSION_SECONDS of it. */
function checkEnd(until: unknown, duration: unknown, now: Date, errors: FieldError[]): Date | undefined {
  const most = `${MAX_SUSPENSION_SECONDS / 86400} days`;
  if (until !== undefined && duration !== undefined) {
    errors.push({ field: 'duration', message: 'give "until" or "duration", not both' });
    return undefined;
  }
  if (until === undefined && duration === undefined) {
    errors.push({ field: 'until', message: 'is required, or "duration" ("1h"): a suspension ends by itself' });
    return undefined;
  }
  if (until !== undefined) {
    const checked = checkFutureTime(until, now, 'until');
    if (!checked.ok) {
      errors.push(...checked.errors.map((e) => ({ ...e, message: e.message.replace('DELETE removes an entry', 'DELETE lifts a suspension') })));
      return undefined;
    }
    if (checked.value.getTime() - now.getTime() > MAX_SUSPENSION_SECONDS * 1000) {
      errors.push({ field: 'until', message: `is more than ${most} ahead; a suspension is at most ${most}` });
      return undefined;
    }
    return checked.value;
  }
  const seconds = typeof duration === 'string' ? parseDuration(duration) : undefined;
  if (seconds === undefined || seconds <= 0) {
    errors.push({ field: 'duration', message: 'must be a whole number and a unit, like "90s", "30m", "1h" or "2d"' });
    return undefined;
  }
  if (seconds > MAX_SUSPENSION_SECONDS) {
    errors.push({ field: 'duration', message: `is more than ${most}; a suspension is at most ${most}` });
    return undefined;
  }
  return new Date(now.getTime() + seconds * 1000);
}

function invalid<T>(field: string, message: string): Validated<T> {
  return { ok: false, errors: [{ field, message }] };
}
