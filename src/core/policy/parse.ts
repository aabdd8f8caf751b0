// The policy file's small text formats: rates ("30/min"), durations ("4h", "90m", or seconds), times
// of day ("08:00"), time zones, and domains (lower case, IDN to A-label). Each returns the value or
// the words of what is wrong, for check.ts to put after the JSON path.
import { domainToASCII } from 'node:url';
import type { RateWindow } from './types';

const RATE_UNITS: Readonly<Record<string, number>> = { s: 1, min: 60, h: 3600, day: 86400 };
const RATE = /^(\d{1,9})\/(s|min|h|day)$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parseRate(text: string): Parsed<RateWindow> {
  const match = RATE.exec(text.trim());
  const count = match ? Number(match[1]) : 0;
  const seconds = match ? RATE_UNITS[match[2] ?? ''] : undefined;
  if (!match || seconds === undefined) return { ok: false, problem: `${JSON.stringify(text)} is not a rate (write N/s, N/min, N/h or N/day)` };
  if (count < 1) return { ok: false, problem: `${JSON.stringify(text)} allows nothing: the count must be at least 1` };
  return { ok: true, value: { count, seconds, text: text.trim() } };
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, min: 60, h: 3600, d: 86400, day: 86400 };
const DURATION = /^(\d{1,9})\s*(s|m|min|h|d|day)$/;

/** "4h", "90m", "30s", "2d", or a number of seconds. */
export function parseDuration(value: string | number): Parsed<number> {
  const wrong = `${JSON.stringify(value)} is not a duration (write e.g. "4h", "90m", "30s", "2d" or a number of seconds)`;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value > 0
      ? { ok: true, value }
      : { ok: false, problem: `${value} is not a duration: seconds must be a whole number above 0` };
  }
  const match = DURATION.exec(value.trim());
  const unit = match ? DURATION_UNITS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined) return { ok: false, problem: wrong };
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? { ok: true, value: seconds } : { ok: false, problem: `${JSON.stringify(value)} is no time at all: it must be above 0` };
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

export function checkTimeOfDay(text: string): string | undefined {
  return TIME_OF_DAY.test(text) ? undefined : `${JSON.stringify(text)} is not a time of day (write HH:MM, 00:00 to 23:59)`;
}

/** Whether the runtime knows the IANA zone (Intl throws a RangeError for one it does not). */
export function checkTimeZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `${JSON.stringify(zone)} is not a time zone this runtime knows (write an IANA name such as "Asia/Tokyo")`;
  }
}

/** A domain as destinations hold it: lower case, A-label; a leading "@" or "." is not a domain. */
export function parseDomain(text: string): Parsed<string> {
  const wrong = (why: string): Parsed<string> => ({ ok: false, problem: `${JSON.stringify(text)} is not a domain (${why})` });
  const trimmed = text.trim();
  if (/[@\s/]/.test(trimmed) || trimmed.startsWith('.') || trimmed.endsWith('.')) return wrong('write it as "docomo.ne.jp": no @, spaces or dots at the ends');
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || !ascii.includes('.')) return wrong('it needs at least two labels, e.g. "example.jp"');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(ascii) || ascii.split('.').some((l) => l.length > 63 || l.startsWith('-') || l.endsWith('-'))) {
    return wrong('labels are letters, digits and inner hyphens, at most 63 characters');
  }
  return { ok: true, value: ascii };
}

/** A calendar date, "2026-12-01", as midnight UTC. */
export function parseStartDate(text: string): Parsed<Date> {
  const wrong: Parsed<Date> = { ok: false, problem: `${JSON.stringify(text)} is not a date (write YYYY-MM-DD; day 0 starts at midnight UTC)` };
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return wrong;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text ? { ok: true, value: date } : wrong;
}

/** A reply pattern; the file writes it as a JavaScript regular expression without slashes. */
export function parsePattern(text: string): Parsed<RegExp> {
  try {
    return { ok: true, value: new RegExp(text, 'i') };
  } catch (err) {
    return { ok: false, problem: `${JSON.stringify(text)} is not a regular expression (${err instanceof Error ? err.message : String(err)})` };
  }
}
