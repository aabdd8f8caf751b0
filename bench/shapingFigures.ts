// The shaping stage's arithmetic, kept pure so that it is unit-tested: the policy each run passes to
// its hosts, the busiest window of arrivals at the sink, the achieved rate over the steady part, the
// verdict against the limit, and the extra storage transactions a hold costs.
import { round } from './stats';

/** The one rule of a run: the recipients' domain limited to `perMinute` in any 60-second window. */
export function shapingPolicy(destination: string, domain: string, perMinute: number): string {
  return JSON.stringify({ destinations: { [destination]: { domains: [domain], rate: `${perMinute}/min` } } });
}

/**
 * The most arrivals in any window of `windowMs` (half-open, [t, t + windowMs)), over sorted times.
 * The busiest window always starts at an arrival, so trying each arrival as a start is enough.
 */
export function slidingWindowMax(sortedTimes: readonly number[], windowMs: number): number {
  let most = 0;
  let end = 0;
  for (let start = 0; start < sortedTimes.length; start++) {
    if (end < start) end = start;
    while (end < sortedTimes.length && sortedTimes[end] < sortedTimes[start] + windowMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

/** The part of a run the rate is measured over: after the start-up skip, until the load ended. */
export interface SteadyPart {
  fromMs: number;
  toMs: number;
}

/**
 * The steady part: from the first arrival plus `skipMs` (hosts warming up, the limiter's first
 * reservations) to the end of the load (after it, the backlog drains and the sink may go quiet).
 */
export function steadyPart(sortedTimes: readonly number[], skipMs: number, loadEndedAt: number): SteadyPart | undefined {
  if (sortedTimes.length === 0) return undefined;
  const fromMs = sortedTimes[0] + skipMs;
  const toMs = Math.min(loadEndedAt, sortedTimes[sortedTimes.length - 1]);
  return toMs > fromMs ? { fromMs, toMs } : undefined;
}

/** Arrivals per minute within the steady part (count in [from, to) over its length). */
export function achievedPerMinute(sortedTimes: readonly number[], part: SteadyPart | undefined): number {
  if (!part) return NaN;
  const count = sortedTimes.filter((t) => t >= part.fromMs && t < part.toMs).length;
  return round((count * 60_000) / (part.toMs - part.fromMs), 1);
}

export type ShapingVerdict = 'held' | 'below the limit' | 'not enforced';

/**
 * Goal: within 5 % of the limit and never above it. "Never above" is the window count (the busiest
 * 60 s may hold at most the limit); the rate over the steady part may be at most the limit too.
 */
export function shapingVerdict(perMinute: number, achieved: number, windowMax: number): ShapingVerdict {
  if (windowMax > perMinute || achieved > perMinute) return 'not enforced';
  return achieved >= perMinute * 0.95 ? 'held' : 'below the limit';
}

/**
 * Extra transactions per hold: the held run's relay transactions beyond what the same messages cost
 * without waiting, spread over the holds it made. NaN when nothing was held.
 */
export function extraPerHold(heldRunRequests: number, openRunPerMessage: number, messages: number, holds: number): number {
  if (holds <= 0) return NaN;
  return round((heldRunRequests - openRunPerMessage * messages) / holds, 2);
}
