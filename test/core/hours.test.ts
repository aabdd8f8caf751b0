// Quiet hours, pure: inside or outside a daily window on its time zone's clock, windows that run past
// midnight, the moment a window opens, and daylight saving time in a zone that has it (New York's
// 2026 changes: 8 March 02:00 EST → 03:00 EDT, 1 November 02:00 EDT → 01:00 EST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWithinHours, minuteOfDay, nextOpening } from '../../src/core/policy/hours';
import type { DailyHours } from '../../src/core/policy/types';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const TOKYO: DailyHours = { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' };
const at = (iso: string) => new Date(iso);

test('Tokyo 08:00–21:00: inside from the opening second, outside from the closing one', FILE_TIMEOUT, () => {
  assert.equal(isWithinHours(TOKYO, at('2026-03-01T22:59:59Z')), false, '07:59:59 JST');
  assert.equal(isWithinHours(TOKYO, at('2026-03-01T23:00:00Z')), true, '08:00 JST');
  assert.equal(isWithinHours(TOKYO, at('2026-03-02T11:59:59Z')), true, '20:59:59 JST');
  assert.equal(isWithinHours(TOKYO, at('2026-03-02T12:00:00Z')), false, '21:00 JST');
});

test('the next opening: later the same night, the next morning, or now when inside', FILE_TIMEOUT, () => {
  assert.deepEqual(nextOpening(TOKYO, at('2026-03-01T13:00:00Z')), at('2026-03-01T23:00:00Z'), 'from 22:00 JST');
  assert.deepEqual(nextOpening(TOKYO, at('2026-03-01T16:30:15Z')), at('2026-03-01T23:00:00Z'), 'from 01:30:15 JST');
  assert.deepEqual(nextOpening(TOKYO, at('2026-03-01T22:59:59.500Z')), at('2026-03-01T23:00:00Z'), 'half a second before');
  const inside = at('2026-03-02T03:00:00Z');
  assert.deepEqual(nextOpening(TOKYO, inside), inside);
});

test('a window past midnight (22:00–06:00) is open late and early, closed in between', FILE_TIMEOUT, () => {
  const night: DailyHours = { from: '22:00', to: '06:00', timeZone: 'UTC' };
  assert.equal(isWithinHours(night, at('2026-03-01T23:30:00Z')), true);
  assert.equal(isWithinHours(night, at('2026-03-02T00:00:00Z')), true);
  assert.equal(isWithinHours(night, at('2026-03-02T05:59:59Z')), true);
  assert.equal(isWithinHours(night, at('2026-03-02T06:00:00Z')), false);
  assert.equal(isWithinHours(night, at('2026-03-02T21:59:59Z')), false);
  assert.deepEqual(nextOpening(night, at('2026-03-02T06:00:00Z')), at('2026-03-02T22:00:00Z'));
  assert.deepEqual(nextOpening(night, at('2026-03-02T21:59:00Z')), at('2026-03-02T22:00:00Z'));
});

test('a window in Tokyo past midnight opens on the Tokyo clock', FILE_TIMEOUT, () => {
  const late: DailyHours = { from: '23:00', to: '01:00', timeZone: 'Asia/Tokyo' };
  assert.equal(isWithinHours(late, at('2026-03-01T15:30:00Z')), true, '00:30 JST');
  assert.deepEqual(nextOpening(late, at('2026-03-01T16:00:00Z')), at('2026-03-02T14:00:00Z'), 'from 01:00 JST to 23:00 JST');
});

const NEW_YORK: DailyHours = { from: '08:00', to: '21:00', timeZone: 'America/New_York' };

test('DST: the window follows the local clock, so its UTC times move by an hour', FILE_TIMEOUT, () => {
  assert.equal(isWithinHours(NEW_YORK, at('2026-03-06T13:00:00Z')), true, '08:00 EST');
  assert.equal(isWithinHours(NEW_YORK, at('2026-03-09T12:00:00Z')), true, '08:00 EDT');
  assert.equal(isWithinHours(NEW_YORK, at('2026-03-06T12:30:00Z')), false, '07:30 EST');
  assert.equal(isWithinHours(NEW_YORK, at('2026-03-09T11:30:00Z')), false, '07:30 EDT');
});

test('DST: an opening across the spring change comes an hour earlier in UTC, across the autumn one an hour later', FILE_TIMEOUT, () => {
  assert.deepEqual(nextOpening(NEW_YORK, at('2026-03-08T02:00:00Z')), at('2026-03-08T12:00:00Z'), 'from 21:00 EST to 08:00 EDT');
  assert.deepEqual(nextOpening(NEW_YORK, at('2026-11-01T01:00:00Z')), at('2026-11-01T13:00:00Z'), 'from 21:00 EDT to 08:00 EST');
});

test('DST: a window that opens in the skipped hour opens when the clock jumps past it', FILE_TIMEOUT, () => {
  const early: DailyHours = { from: '02:30', to: '05:00', timeZone: 'America/New_York' };
  assert.deepEqual(nextOpening(early, at('2026-03-08T05:00:00Z')), at('2026-03-08T07:00:00Z'), '00:00 EST → 03:00 EDT');
  assert.equal(isWithinHours(early, at('2026-03-08T07:00:00Z')), true);
  assert.deepEqual(nextOpening(early, at('2026-03-09T05:00:00Z')), at('2026-03-09T06:30:00Z'), 'the next day at 02:30 EDT again');
});

test('DST: a window that opens in the repeated hour opens at its first occurrence', FILE_TIMEOUT, () => {
  const early: DailyHours = { from: '01:30', to: '03:00', timeZone: 'America/New_York' };
  assert.deepEqual(nextOpening(early, at('2026-11-01T04:00:00Z')), at('2026-11-01T05:30:00Z'), '01:30 EDT, not 01:30 EST');
  assert.equal(isWithinHours(early, at('2026-11-01T06:30:00Z')), true, '01:30 EST, the hour again');
});

test('a window whose ends are equal is open all day; times are HH:MM', FILE_TIMEOUT, () => {
  assert.equal(isWithinHours({ from: '00:00', to: '00:00', timeZone: 'Asia/Tokyo' }, at('2026-03-01T12:00:00Z')), true);
  assert.equal(minuteOfDay('21:00'), 1260);
  assert.equal(minuteOfDay('24:00'), 1440);
  for (const bad of ['8:00', '25:00', '24:01', '12:60', 'noon']) assert.throws(() => minuteOfDay(bad), /not a time of day/, bad);
});
