// The rate core: slots under one or several windows, spread evenly with no burst, and the spacing
// margin that keeps every window of true time at or under its limit when instances' clocks differ
// and sends leave a little after their slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterSend,
  CLOCK_SKEW_MARGIN_MS,
  earliestSlot,
  emissionIntervalMs,
  marginMs,
  NO_RATE_STATE,
  parseRateState,
  type RateState,
  SEND_JITTER_MARGIN_MS,
  slowedWindows,
} from '../../../src/core/policy/gcra';
import type { RateWindow } from '../../../src/core/policy/types';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const PER_MIN_40: RateWindow = { count: 40, seconds: 60, text: '40/min' };
const PER_HOUR_100: RateWindow = { count: 100, seconds: 3600, text: '100/h' };

/** Reserves `n` sends, all asked for at `askedAt` (a backlog): the slots handed out, in order. */
function reserveMany(n: number, windows: readonly RateWindow[], askedAt = 0, state: RateState = NO_RATE_STATE): number[] {
  const slots: number[] = [];
  for (let i = 0; i < n; i++) {
    const slot = earliestSlot(state, windows, askedAt);
    state = afterSend(state, windows, slot);
    slots.push(slot);
  }
  return slots;
}

/** The most sends any half-open window of `seconds` holds. */
function busiestWindow(times: readonly number[], seconds: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= seconds * 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

test('N/min: a backlog is spread one emission interval apart, no burst at the start', FILE_TIMEOUT, () => {
  const slots = reserveMany(5, [PER_MIN_40]);
  const interval = (60_000 + 3000) / 40;
  assert.equal(emissionIntervalMs(PER_MIN_40), interval);
  assert.deepEqual(slots, [0, interval, 2 * interval, 3 * interval, 4 * interval]);
});

test('N/min: no 60-second window holds more than N, and the achieved rate is within 5 % of it', FILE_TIMEOUT, () => {
  const slots = reserveMany(400, [PER_MIN_40]);
  assert.equal(busiestWindow(slots, 60), Math.ceil(60_000 / emissionIntervalMs(PER_MIN_40)));
  assert.ok(busiestWindow(slots, 60) <= 40);
  const perMinute = (slots.length - 1) / ((slots.at(-1)! - slots[0]) / 60_000);
  assert.ok(perMinute <= 40 && perMinute >= 40 * 0.95, `achieved ${perMinute}/min`);
});

test('an idle limit starts from now, not from the past: room is not saved up', FILE_TIMEOUT, () => {
  const state = afterSend(NO_RATE_STATE, [PER_MIN_40], 0);
  const later = 10 * 60_000;
  assert.equal(earliestSlot(state, [PER_MIN_40], later), later);
  const next = afterSend(state, [PER_MIN_40], later);
  assert.equal(earliestSlot(next, [PER_MIN_40], later), later + emissionIntervalMs(PER_MIN_40));
});

test('several windows at once: the slot is one moment at which every window has room, and each counts it', FILE_TIMEOUT, () => {
  const windows = [PER_MIN_40, PER_HOUR_100];
  const slots = reserveMany(120, windows);
  assert.ok(busiestWindow(slots, 60) <= 40);
  assert.ok(busiestWindow(slots, 3600) <= 100, `${busiestWindow(slots, 3600)} in an hour`);
  const state = afterSend(NO_RATE_STATE, windows, 5000);
  assert.deepEqual(state, { '60': 5000 + emissionIntervalMs(PER_MIN_40), '3600': 5000 + emissionIntervalMs(PER_HOUR_100) });
});

test('two limits (destination and smart host) reserved together: the later one sets the slot for both', FILE_TIMEOUT, () => {
  const destination = [PER_MIN_40];
  const smartHost: RateWindow[] = [{ count: 30, seconds: 60, text: '30/min' }];
  let d = afterSend(NO_RATE_STATE, destination, 0);
  let s = afterSend(NO_RATE_STATE, smartHost, 0);
  const slot = Math.max(earliestSlot(d, destination, 100), earliestSlot(s, smartHost, 100));
  assert.equal(slot, emissionIntervalMs(smartHost[0]));
  d = afterSend(d, destination, slot);
  s = afterSend(s, smartHost, slot);
  assert.equal(d['60'], slot + emissionIntervalMs(PER_MIN_40), 'the destination counts the send at the shared slot, not at its own earliest');
  assert.equal(s['60'], slot + emissionIntervalMs(smartHost[0]));
});

test('clock skew and send jitter within the margin never put more than N into any window of true time', FILE_TIMEOUT, () => {
  const slots = reserveMany(600, [PER_MIN_40]);
  // three instances, clocks 0, +1 s and +2 s off, each send leaving up to 1 s after its slot
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let run = 0; run < 20; run++) {
    const sent = slots.map((slot) => slot - Math.floor(random() * 3) * (CLOCK_SKEW_MARGIN_MS / 2) + random() * SEND_JITTER_MARGIN_MS);
    assert.ok(busiestWindow(sent, 60) <= 40, `run ${run}: ${busiestWindow(sent, 60)} in one minute`);
  }
  // the worst case: one send leaving the full margin after its slot, the ones after it on time
  const late = (times: number[]) => times.map((slot, i) => (i === 0 ? slot + 3000 : slot));
  assert.ok(busiestWindow(late(slots), 60) <= 40, `${busiestWindow(late(slots), 60)} in one minute`);
  // spaced W/N with no margin, the same late send puts 41 into one minute: the margin is what holds it
  const bare = reserveMany(600, [{ count: 40 * (63 / 60), seconds: 60, text: 'bare' }]);
  assert.equal(busiestWindow(late(bare), 60), 41);
});

test('the margin is 3 s, capped at 5 % of a short window', FILE_TIMEOUT, () => {
  assert.equal(marginMs({ seconds: 60 }), 3000);
  assert.equal(marginMs({ seconds: 86400 }), 3000);
  assert.equal(marginMs({ seconds: 1 }), 50);
  assert.equal(emissionIntervalMs({ count: 10, seconds: 1 }), 105);
  assert.throws(() => emissionIntervalMs({ count: 0, seconds: 60 }), /positive count/);
});

test('a slow-down multiplies the counts; a factor of 1, none or nonsense leaves the windows as they are', FILE_TIMEOUT, () => {
  const slowed = slowedWindows([PER_MIN_40], 0.25);
  assert.equal(slowed[0].count, 10);
  assert.equal(emissionIntervalMs(slowed[0]), 4 * emissionIntervalMs(PER_MIN_40));
  for (const factor of [undefined, 1, 0, -1, Number.NaN]) assert.deepEqual(slowedWindows([PER_MIN_40], factor), [PER_MIN_40]);
});

test('a window the policy dropped stays counted while it lies ahead, so an edit frees no room already handed out', FILE_TIMEOUT, () => {
  const state = afterSend(NO_RATE_STATE, [PER_MIN_40, PER_HOUR_100], 0);
  const next = afterSend(state, [PER_MIN_40], 1575);
  assert.equal(next['3600'], state['3600']);
  assert.equal(afterSend(next, [PER_MIN_40], 10 * 3600_000)['3600'], undefined);
});

test('a stored state is read leniently: junk is no state, and a non-number is dropped', FILE_TIMEOUT, () => {
  assert.deepEqual(parseRateState(undefined), {});
  assert.deepEqual(parseRateState('{nope'), {});
  assert.deepEqual(parseRateState('[1]'), {});
  assert.deepEqual(parseRateState('{"60": 5, "3600": "x", "1": null}'), { '60': 5 });
});
