// Cases of Throttles.reserveInWindows (fixed UTC windows, the warm-up's caps) run against both the
// in-memory FakeThrottles (test/relay/windowCases.test.ts) and the shaping table's ThrottleStore on
// Azurite (test/storage/windowCounts.test.ts), so the fake the unit tier trusts counts as storage does.
import type { RateWindow } from '../../src/core/policy/types';
import type { ThrottleLimit, Throttles } from '../../src/relay/ports';

const perHour = (count: number): RateWindow => ({ count, seconds: 3600, text: `${count}/h` });
const perDay = (count: number): RateWindow => ({ count, seconds: 86400, text: `${count}/day` });

export interface WindowStep {
  /** which of the case's limits this send counts against, in this order */
  limits: string[];
  now: string;
  at: string;
  movedBy?: string;
}

export interface WindowCase {
  name: string;
  limits: Record<string, readonly RateWindow[]>;
  steps: WindowStep[];
}

export const WINDOW_CASES: WindowCase[] = [
  {
    name: 'room in the hour counts at now; the full hour moves the next send to the next hour',
    limits: { sender: [perHour(3)] },
    steps: [
      { limits: ['sender'], now: '2026-03-01T10:05:00.000Z', at: '2026-03-01T10:05:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:06:00.000Z', at: '2026-03-01T10:06:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:07:00.000Z', at: '2026-03-01T10:07:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:08:00.000Z', at: '2026-03-01T11:00:00.000Z', movedBy: 'sender' },
      { limits: ['sender'], now: '2026-03-01T11:00:00.000Z', at: '2026-03-01T11:00:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:09:00.000Z', at: '2026-03-01T11:00:00.000Z', movedBy: 'sender' },
      { limits: ['sender'], now: '2026-03-01T10:10:00.000Z', at: '2026-03-01T12:00:00.000Z', movedBy: 'sender' },
    ],
  },
  {
    name: 'windows are UTC: the last millisecond of an hour is in it, its end is the next one',
    limits: { sender: [perHour(1)] },
    steps: [
      { limits: ['sender'], now: '2026-03-01T10:59:59.999Z', at: '2026-03-01T10:59:59.999Z' },
      { limits: ['sender'], now: '2026-03-01T11:00:00.000Z', at: '2026-03-01T11:00:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:30:00.000Z', at: '2026-03-01T12:00:00.000Z', movedBy: 'sender' },
    ],
  },
  {
    name: 'hour and day caps: a full day moves to midnight UTC, whatever room the hour has',
    limits: { sender: [perHour(2), perDay(3)] },
    steps: [
      { limits: ['sender'], now: '2026-03-01T22:10:00.000Z', at: '2026-03-01T22:10:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T22:11:00.000Z', at: '2026-03-01T22:11:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T22:12:00.000Z', at: '2026-03-01T23:00:00.000Z', movedBy: 'sender' },
      { limits: ['sender'], now: '2026-03-01T22:13:00.000Z', at: '2026-03-02T00:00:00.000Z', movedBy: 'sender' },
      { limits: ['sender'], now: '2026-03-01T23:30:00.000Z', at: '2026-03-02T00:00:00.000Z', movedBy: 'sender' },
      { limits: ['sender'], now: '2026-03-01T23:31:00.000Z', at: '2026-03-02T01:00:00.000Z', movedBy: 'sender' },
    ],
  },
  {
    name: 'sender and smart host: a send counts in both, and waits for whichever is full',
    limits: { sender: [perHour(2)], smartHost: [perHour(3)] },
    steps: [
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:00:00.000Z', at: '2026-03-01T10:00:00.000Z' },
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:01:00.000Z', at: '2026-03-01T10:01:00.000Z' },
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:02:00.000Z', at: '2026-03-01T11:00:00.000Z', movedBy: 'sender' },
      { limits: ['smartHost'], now: '2026-03-01T10:03:00.000Z', at: '2026-03-01T10:03:00.000Z' },
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:04:00.000Z', at: '2026-03-01T11:00:00.000Z', movedBy: 'sender' },
      { limits: ['smartHost'], now: '2026-03-01T10:05:00.000Z', at: '2026-03-01T11:00:00.000Z', movedBy: 'smartHost' },
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:06:00.000Z', at: '2026-03-01T12:00:00.000Z', movedBy: 'smartHost' },
    ],
  },
  {
    name: 'movedBy is the limit that moved the send last: a full sender hour, then a full smart host hour',
    limits: { sender: [perHour(1), perDay(10)], smartHost: [perHour(1)] },
    steps: [
      { limits: ['smartHost'], now: '2026-03-01T11:10:00.000Z', at: '2026-03-01T11:10:00.000Z' },
      { limits: ['sender'], now: '2026-03-01T10:05:00.000Z', at: '2026-03-01T10:05:00.000Z' },
      { limits: ['sender', 'smartHost'], now: '2026-03-01T10:06:00.000Z', at: '2026-03-01T12:00:00.000Z', movedBy: 'smartHost' },
      { limits: ['smartHost', 'sender'], now: '2026-03-01T10:07:00.000Z', at: '2026-03-01T13:00:00.000Z', movedBy: 'sender' },
    ],
  },
];

/** The case's limits, their keys made unique with `prefix` (storage is shared by every case). */
export function caseLimits(c: WindowCase, step: WindowStep, prefix: string): ThrottleLimit[] {
  return step.limits.map((name) => ({ key: `${prefix}${name}`, windows: c.limits[name] }));
}

/** Runs a case's steps in order, each through the next of `throttles` (one, or instances taking turns). */
export async function runWindowCase(c: WindowCase, throttles: readonly Throttles[], prefix: string): Promise<{ at: string; movedBy?: string }[]> {
  const got: { at: string; movedBy?: string }[] = [];
  for (const [i, step] of c.steps.entries()) {
    const reservation = await throttles[i % throttles.length].reserveInWindows(caseLimits(c, step, prefix), new Date(step.now));
    const movedBy = reservation.movedBy?.slice(prefix.length);
    got.push(movedBy === undefined ? { at: reservation.at.toISOString() } : { at: reservation.at.toISOString(), movedBy });
  }
  return got;
}

/** What a case expects, in the shape runWindowCase returns. */
export function expected(c: WindowCase): { at: string; movedBy?: string }[] {
  return c.steps.map((s) => (s.movedBy === undefined ? { at: s.at } : { at: s.at, movedBy: s.movedBy }));
}
