// The cool-off rule, pure: failures in a row up to the threshold start a cool-off, nothing changes
// during one, and after it the host is on probation: one failure cools it off again at once, one
// success clears it. Table-driven: each row is a state, an event at a time, and what follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterHealthEvent,
  coolingAt,
  type CoolOffRule,
  type HealthEvent,
  healthPhase,
  HEALTHY,
  type HostHealthState,
  MAX_REASON_CHARS,
} from '../../src/core/coolOff';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RULE: CoolOffRule = { failures: 3, seconds: 300 };
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const FAIL: HealthEvent = { kind: 'failure', reason: '421 4.7.0 try again later' };
const OK: HealthEvent = { kind: 'success' };

interface Row {
  name: string;
  state: HostHealthState;
  event: HealthEvent;
  at: Date;
  next: HostHealthState;
  changed: boolean;
  started?: Date;
}

const failing = (failures: number): HostHealthState => ({ failures, firstFailureAt: T0, lastReason: FAIL.reason });
const cooledAt = (seconds: number, failures = 3): HostHealthState => ({ ...failing(failures), coolingUntil: at(seconds + RULE.seconds) });

const ROWS: Row[] = [
  { name: 'a healthy host that succeeds: nothing to write', state: HEALTHY, event: OK, at: T0, next: HEALTHY, changed: false },
  { name: 'the first failure starts a run', state: HEALTHY, event: FAIL, at: T0, next: failing(1), changed: true },
  { name: 'a failure below the threshold counts', state: failing(1), event: FAIL, at: at(5), next: failing(2), changed: true },
  {
    name: 'the threshold-th failure in a row starts a cool-off',
    state: failing(2),
    event: FAIL,
    at: at(9),
    next: cooledAt(9),
    changed: true,
    started: at(309),
  },
  { name: 'a success ends a run below the threshold', state: failing(2), event: OK, at: at(9), next: HEALTHY, changed: true },
  { name: 'a failure during a cool-off changes nothing', state: cooledAt(9), event: FAIL, at: at(100), next: cooledAt(9), changed: false },
  { name: 'a success during a cool-off does not end it', state: cooledAt(9), event: OK, at: at(100), next: cooledAt(9), changed: false },
  { name: 'the last moment of a cool-off is still in it', state: cooledAt(9), event: FAIL, at: at(308.999), next: cooledAt(9), changed: false },
  {
    name: 'on probation one failure cools it off again at once',
    state: cooledAt(9),
    event: FAIL,
    at: at(309),
    next: { ...failing(4), coolingUntil: at(609) },
    changed: true,
    started: at(609),
  },
  { name: 'on probation a success clears it', state: cooledAt(9), event: OK, at: at(400), next: HEALTHY, changed: true },
];

for (const row of ROWS) {
  test(`cool-off rule: ${row.name}`, FILE_TIMEOUT, () => {
    const change = afterHealthEvent(row.state, row.event, row.at, RULE);
    assert.deepEqual(change.next, row.next);
    assert.equal(change.changed, row.changed);
    assert.deepEqual(change.started, row.started);
  });
}

test('a threshold of one cools a host off at its first failure', FILE_TIMEOUT, () => {
  const change = afterHealthEvent(HEALTHY, FAIL, T0, { failures: 1, seconds: 5 });
  assert.deepEqual(change.started, at(5));
  assert.equal(coolingAt(change.next, at(4.999))?.toISOString(), at(5).toISOString());
  assert.equal(coolingAt(change.next, at(5)), undefined);
});

test('the phases: healthy, failing, cooling until the end, then probation', FILE_TIMEOUT, () => {
  assert.equal(healthPhase(HEALTHY, T0), 'healthy');
  assert.equal(healthPhase(failing(2), T0), 'failing');
  assert.equal(healthPhase(cooledAt(0), at(299)), 'cooling');
  assert.equal(healthPhase(cooledAt(0), at(300)), 'probation');
  assert.equal(coolingAt(failing(2), T0), undefined);
});

test('a run keeps when it began and the last reason, cut to a length', FILE_TIMEOUT, () => {
  let state: HostHealthState = HEALTHY;
  state = afterHealthEvent(state, FAIL, T0, RULE).next;
  const long = 'x'.repeat(MAX_REASON_CHARS + 50);
  state = afterHealthEvent(state, { kind: 'failure', reason: long }, at(30), RULE).next;
  assert.deepEqual(state.firstFailureAt, T0);
  assert.equal(state.lastReason, long.slice(0, MAX_REASON_CHARS));
});

test('the rule does not change the state it is given', FILE_TIMEOUT, () => {
  const state = failing(2);
  const copy = structuredClone(state);
  afterHealthEvent(state, FAIL, at(9), RULE);
  afterHealthEvent(state, OK, at(9), RULE);
  assert.deepEqual(state, copy);
});
