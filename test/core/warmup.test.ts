// Warm-up, pure: the day of the ramp (UTC days from the start), the step and the caps in force on it,
// and the end of the ramp after the last step's day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WINDOW_MOVES, placeInWindows, sameWindows, warmupDay, warmupKey, warmupStepAt, warmupWindows } from '../../src/core/policy/warmup';
import type { WarmupPlan } from '../../src/core/policy/types';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const PLAN: WarmupPlan = {
  kind: 'sender',
  name: 'Example.JP',
  startsAt: new Date('2026-03-01T00:00:00Z'),
  steps: [
    { day: 0, perHour: 20 },
    { day: 1, perHour: 28, perDay: 500 },
    { day: 3, perDay: 1000 },
  ],
};
const at = (iso: string) => new Date(iso);

test('day numbers count UTC days from the start date', FILE_TIMEOUT, () => {
  assert.equal(warmupDay(PLAN, at('2026-03-01T00:00:00Z')), 0);
  assert.equal(warmupDay(PLAN, at('2026-03-01T23:59:59Z')), 0);
  assert.equal(warmupDay(PLAN, at('2026-03-02T00:00:00Z')), 1);
  assert.equal(warmupDay(PLAN, at('2026-03-11T12:00:00Z')), 10);
  assert.equal(warmupDay(PLAN, at('2026-02-28T23:00:00Z')), -1);
});

test('day 0 has the first step, day n the last step begun by then', FILE_TIMEOUT, () => {
  assert.deepEqual(warmupWindows(PLAN, at('2026-03-01T10:00:00Z')), [{ count: 20, seconds: 3600, text: '20/h' }]);
  assert.deepEqual(warmupWindows(PLAN, at('2026-03-03T10:00:00Z')), [
    { count: 28, seconds: 3600, text: '28/h' },
    { count: 500, seconds: 86400, text: '500/day' },
  ]);
  assert.deepEqual(warmupWindows(PLAN, at('2026-03-04T23:59:59Z')), [{ count: 1000, seconds: 86400, text: '1000/day' }]);
});

test('before the start date the first step applies; after the last step day the ramp is over', FILE_TIMEOUT, () => {
  assert.equal(warmupStepAt(PLAN, at('2026-02-27T10:00:00Z'))?.day, 0);
  assert.equal(warmupStepAt(PLAN, at('2026-03-05T00:00:00Z')), undefined);
  assert.deepEqual(warmupWindows(PLAN, at('2026-04-01T00:00:00Z')), []);
  assert.deepEqual(warmupWindows({ ...PLAN, steps: [] }, at('2026-03-01T00:00:00Z')), []);
});

test('keys name the plan; windows are UTC hours and days', FILE_TIMEOUT, () => {
  assert.equal(warmupKey(PLAN), 'warmup:sender:example.jp');
  assert.equal(warmupKey({ kind: 'smartHost', name: 'default' }), 'warmup:smartHost:default');
  const hourAndDay = warmupWindows(PLAN, at('2026-03-02T10:00:00Z'));
  assert.equal(sameWindows(hourAndDay, at('2026-03-02T10:00:00Z'), at('2026-03-02T10:59:59Z')), true);
  assert.equal(sameWindows(hourAndDay, at('2026-03-02T10:59:59Z'), at('2026-03-02T11:00:00Z')), false);
});

test('placeInWindows: a full window moves the send to its end, a cap of 0 is refused rather than searched for ever', FILE_TIMEOUT, () => {
  const now = Date.parse('2026-03-01T10:20:00Z');
  const full = (_key: string, _seconds: number, start: number) => (start === Date.parse('2026-03-01T10:00:00Z') ? 20 : 0);
  const limits = [{ key: 'warmup:sender:example.jp', windows: [{ count: 20, seconds: 3600, text: '20/h' }] }];
  assert.deepEqual(placeInWindows(limits, now, full), { at: Date.parse('2026-03-01T11:00:00Z'), movedBy: 'warmup:sender:example.jp' });
  assert.deepEqual(placeInWindows(limits, now + 3600_000, full), { at: now + 3600_000 });
  let looked = 0;
  const never = [{ key: 'warmup:sender:x', windows: [{ count: 0, seconds: 3600, text: '0/h' }] }];
  assert.throws(
    () =>
      placeInWindows(never, now, () => {
        looked++;
        return 0;
      }),
    /no window of warmup:sender:x \(0\/h\) has room/,
  );
  assert.equal(looked, MAX_WINDOW_MOVES + 1);
});
