// The breaker's pure rules: rates, what they mean against the thresholds, the state machine
// active → warning → paused (only a resume ends a pause) and where the counted window begins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  breakerRates,
  breakerRefreshMs,
  type BreakerThresholds,
  countBucket,
  currentState,
  evaluateBreaker,
  judgeCounts,
  manualPause,
  NEVER_SEEN,
  pauseHold,
  resumeSender,
  windowStart,
} from '../../src/core/breaker';
import { decideDelivery } from '../../src/core/delivery';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const T: BreakerThresholds = {
  bounceWarnPercent: 5,
  bouncePausePercent: 10,
  complaintWarnPercent: 0.1,
  complaintPausePercent: 0.5,
  minVolume: 100,
  windowHours: 24,
};
const NOW = new Date('2026-03-01T10:30:00.000Z');

const counts = (attempts: number, hardBounces = 0, complaints = 0) => ({ attempts, hardBounces, complaints });

test('rates are percentages of attempts, rounded to two places, and 0 without attempts', FILE_TIMEOUT, () => {
  assert.deepEqual(breakerRates(counts(0)), { bounceRate: 0, complaintRate: 0 });
  assert.deepEqual(breakerRates(counts(200, 11, 1)), { bounceRate: 5.5, complaintRate: 0.5 });
  assert.deepEqual(breakerRates(counts(3, 1)), { bounceRate: 33.33, complaintRate: 0 });
});

test('a rate must be above a threshold, not at it', FILE_TIMEOUT, () => {
  assert.equal(judgeCounts(counts(100, 5), T).level, 'ok');
  assert.equal(judgeCounts(counts(100, 6), T).level, 'warn');
  assert.equal(judgeCounts(counts(100, 10), T).level, 'warn');
  assert.equal(judgeCounts(counts(100, 11), T).level, 'pause');
  assert.equal(judgeCounts(counts(1000, 0, 1), T).level, 'ok');
  assert.equal(judgeCounts(counts(1000, 0, 2), T).level, 'warn');
  assert.equal(judgeCounts(counts(1000, 0, 6), T).level, 'pause');
});

test('a pause needs the minimum volume; a warning does not', FILE_TIMEOUT, () => {
  const few = judgeCounts(counts(99, 50), T);
  assert.equal(few.level, 'warn');
  assert.equal(judgeCounts(counts(100, 50), T).level, 'pause');
  assert.equal(judgeCounts(counts(10, 1), T).level, 'warn');
});

test('the reason names the rate, the volume and the setting it crossed', FILE_TIMEOUT, () => {
  const pause = judgeCounts(counts(120, 24), T);
  assert.equal(pause.level, 'pause');
  assert.equal(pause.level === 'pause' && pause.reason, 'hard-bounce rate 20 % of 120 attempts is above RELAY_BOUNCE_PAUSE_PERCENT (10 %)');
  const complaint = judgeCounts(counts(1000, 0, 7), T);
  assert.match(complaint.level === 'pause' ? complaint.reason : '', /complaint rate 0\.7 % of 1000 attempts is above RELAY_COMPLAINT_PAUSE_PERCENT \(0\.5 %\)/);
});

test('active → warning → active as the rates move, each change once', FILE_TIMEOUT, () => {
  const warned = evaluateBreaker(NEVER_SEEN, counts(100, 6), T, NOW);
  assert.equal(warned?.next.state, 'warning');
  assert.equal(warned?.level, 'warn');
  assert.match(warned?.message ?? '', /^warning: hard-bounce rate 6 %/);
  assert.equal(evaluateBreaker({ state: 'warning' }, counts(110, 7), T, NOW), undefined, 'still warning: no second line');
  const back = evaluateBreaker({ state: 'warning' }, counts(200, 6), T, NOW);
  assert.equal(back?.next.state, 'active');
  assert.equal(evaluateBreaker(NEVER_SEEN, counts(200, 6), T, NOW), undefined);
});

test('active or warning → paused over the pause rate, with when and why', FILE_TIMEOUT, () => {
  const resumedAt = new Date('2026-03-01T08:00:00.000Z');
  for (const state of ['active', 'warning'] as const) {
    const paused = evaluateBreaker({ state, resumedAt }, counts(100, 11), T, NOW);
    assert.deepEqual(paused?.next, {
      state: 'paused',
      pausedAt: NOW,
      pausedReason: 'hard-bounce rate 11 % of 100 attempts is above RELAY_BOUNCE_PAUSE_PERCENT (10 %)',
      resumedAt,
    });
    assert.equal(paused?.level, 'warn');
  }
});

test('paused stays paused whatever the counts: only a resume ends it', FILE_TIMEOUT, () => {
  const paused = { state: 'paused' as const, pausedAt: NOW, pausedReason: 'x' };
  assert.equal(evaluateBreaker(paused, counts(10_000), T, NOW), undefined);
  assert.equal(currentState(paused, counts(10_000), T), 'paused');
  const resumed = resumeSender(paused, NOW);
  assert.deepEqual(resumed, { state: 'active', resumedAt: NOW });
});

test('resuming a domain that is not paused changes nothing; pausing a paused one keeps its pause', FILE_TIMEOUT, () => {
  assert.equal(resumeSender(NEVER_SEEN, NOW), undefined);
  assert.equal(resumeSender({ state: 'warning' }, NOW), undefined);
  const manual = manualPause({ state: 'warning', resumedAt: new Date(0) }, 'spam run', NOW);
  assert.deepEqual(manual, { state: 'paused', pausedAt: NOW, pausedReason: 'paused by an operator: spam run', resumedAt: new Date(0) });
  assert.equal(manualPause({ state: 'paused', pausedAt: NOW, pausedReason: 'x' }, 'again', NOW), undefined);
});

test('the state shown follows the counts unless paused', FILE_TIMEOUT, () => {
  assert.equal(currentState({ state: 'warning' }, counts(100, 1), T), 'active', 'a stored warning the window has left behind');
  assert.equal(currentState(NEVER_SEEN, counts(20, 2), T), 'warning');
  assert.equal(currentState(NEVER_SEEN, counts(0), T), 'active');
});

test('the window starts its length back, or at the last resume if that is later', FILE_TIMEOUT, () => {
  assert.deepEqual(windowStart(NOW, 24, undefined), new Date('2026-02-28T10:30:00.000Z'));
  assert.deepEqual(windowStart(NOW, 24, new Date('2026-01-01T00:00:00.000Z')), new Date('2026-02-28T10:30:00.000Z'));
  assert.deepEqual(windowStart(NOW, 24, new Date('2026-03-01T09:00:00.000Z')), new Date('2026-03-01T09:00:00.000Z'));
});

test('counts are bucketed by the hour, in keys that sort as time', FILE_TIMEOUT, () => {
  assert.equal(countBucket(NOW), '2026-03-01T10');
  assert.ok(countBucket(new Date('2026-03-01T09:59:59.999Z')) < countBucket(NOW));
  assert.ok(countBucket(new Date('2026-02-28T23:00:00.000Z')) < countBucket(new Date('2026-03-01T00:00:00.000Z')));
});

test('a hold names the pause; the refresh interval is 5 s or the hold recheck if shorter', FILE_TIMEOUT, () => {
  assert.equal(pauseHold('example.com'), 'sender-paused:example.com');
  assert.equal(breakerRefreshMs(60), 5000);
  assert.equal(breakerRefreshMs(1), 1000);
});

test('a held row is claimed at its release: each hold queued its task again, so copies may exist', FILE_TIMEOUT, () => {
  const task = { attempt: 1, queueMessageId: 'q-1', redelivered: false };
  assert.deepEqual(decideDelivery({ status: 'queued', attempts: 0 }, task, NOW), { action: 'send', attempt: 1, claim: false });
  assert.deepEqual(decideDelivery({ status: 'queued', attempts: 0, heldBy: pauseHold('example.com') }, task, NOW), { action: 'send', attempt: 1, claim: true });
});
