// Quiet hours, pure: whether a moment falls inside a destination's daily window, read on the wall
// clock of the window's time zone (Intl, so daylight saving time moves the window with the clock),
// and the next moment the window opens. A window may run past midnight (from "22:00" to "06:00").
// Resolution is the second; the window's ends are minutes.
import type { DailyHours } from './types';

const DAY_SECONDS = 86400;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** "08:00" → 480; "24:00" is the end of the day. Throws on anything else (the policy is checked at load). */
export function minuteOfDay(text: string): number {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  if (!(minutes <= 1440)) throw new Error(`not a time of day (HH:MM): ${JSON.stringify(text)}`);
  return minutes;
}

/** The wall clock of `timeZone` at `at`, as milliseconds since 1970 read as if it were UTC. */
function wallClock(at: Date, timeZone: string): number {
  const parts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(at)) if (part.type in parts) parts[part.type as keyof typeof parts] = Number(part.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** How far the zone's wall clock is ahead of UTC at `at`, in seconds (Asia/Tokyo: 32400). */
function offsetSeconds(at: Date, timeZone: string): number {
  return Math.round((wallClock(at, timeZone) - Math.floor(at.getTime() / 1000) * 1000) / 1000);
}

function secondOfDay(at: Date, timeZone: string): number {
  const wall = wallClock(at, timeZone) / 1000;
  return ((wall % DAY_SECONDS) + DAY_SECONDS) % DAY_SECONDS;
}

/** Whether `at` is inside the window. A window whose ends are equal is open all day. */
export function isWithinHours(hours: DailyHours, at: Date): boolean {
  const from = minuteOfDay(hours.from) * 60;
  const to = minuteOfDay(hours.to) * 60;
  if (from === to) return true;
  const now = secondOfDay(at, hours.timeZone);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/**
 * The next moment the window opens, at or after `at` (`at` itself when it is inside): the first
 * moment the zone's clock shows `from`. On a day whose clock skips `from` (a spring-forward gap),
 * the window opens when the clock jumps past it; on a day it shows `from` twice, at the first.
 */
export function nextOpening(hours: DailyHours, at: Date): Date {
  if (isWithinHours(hours, at)) return at;
  const zone = hours.timeZone;
  const from = minuteOfDay(hours.from) * 60;
  const start = new Date(Math.floor(at.getTime() / 1000) * 1000);
  let ahead = (from - secondOfDay(start, zone) + DAY_SECONDS) % DAY_SECONDS;
  for (let tries = 0; tries < 3; tries++) {
    // The clock shows `from` after `ahead` seconds if no offset change comes between; if one does,
    // the same clock reading comes that much earlier or later.
    const naive = new Date(start.getTime() + ahead * 1000);
    const shift = offsetSeconds(naive, zone) - offsetSeconds(start, zone);
    const shifted = new Date(naive.getTime() - shift * 1000);
    if (shifted > start && secondOfDay(shifted, zone) === from) return shifted;
    if (shift !== 0) {
      const jump = offsetChange(new Date(Math.min(naive.getTime(), shifted.getTime())), new Date(Math.max(naive.getTime(), shifted.getTime())), zone);
      if (jump > start && isWithinHours(hours, jump)) return jump;
    }
    ahead += DAY_SECONDS;
  }
  // Only for a zone whose rules move the clock in ways no real zone does; never held for longer than a day.
  return new Date(start.getTime() + DAY_SECONDS * 1000);
}

/** The first second in (low, high] at which the zone's offset differs from the one at `low`. */
function offsetChange(low: Date, high: Date, zone: string): Date {
  const before = offsetSeconds(low, zone);
  let lo = low.getTime();
  let hi = high.getTime();
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetSeconds(new Date(mid), zone) === before) lo = mid;
    else hi = mid;
  }
  return new Date(hi);
}

/** "08:00–21:00 Asia/Tokyo", for hold reasons and logs. */
export function describeHours(hours: DailyHours): string {
  return `${hours.from}–${hours.to} ${hours.timeZone}`;
}
