// Warm-up, pure: which day of its ramp a sender domain or smart host is on, and the caps that apply.
// Days are counted in UTC from the plan's start (midnight UTC of day 0). Each step holds from its day
// until the next step's day; the last step holds for its own day, and after it the ramp is over.
// Before the start date the first step applies: a domain that is to warm up is not warm yet.
// The caps are fixed windows (each UTC hour, each UTC day), not rates: "20 per hour" lets 20 go
// at once when the hour begins; spreading them is the destination's and smart host's rate's job.
import type { RateWindow, WarmupPlan, WarmupStep } from './types';

const DAY_MS = 86400_000;

/** The day number since the plan's start (0 on the start date; negative before it). */
export function warmupDay(plan: WarmupPlan, at: Date): number {
  return Math.floor((at.getTime() - plan.startsAt.getTime()) / DAY_MS);
}

/** The step in force at `at`, or undefined once the ramp is over. */
export function warmupStepAt(plan: WarmupPlan, at: Date): WarmupStep | undefined {
  const [first, ...rest] = plan.steps;
  const last = plan.steps.at(-1);
  const day = warmupDay(plan, at);
  if (!first || !last || day > last.day) return undefined;
  let current = first;
  for (const step of rest) if (step.day <= day) current = step;
  return current;
}

/** The caps in force at `at` as fixed windows (hour and/or day); empty once the ramp is over. */
export function warmupWindows(plan: WarmupPlan, at: Date): RateWindow[] {
  const step = warmupStepAt(plan, at);
  if (!step) return [];
  const windows: RateWindow[] = [];
  if (step.perHour !== undefined) windows.push({ count: step.perHour, seconds: 3600, text: `${step.perHour}/h` });
  if (step.perDay !== undefined) windows.push({ count: step.perDay, seconds: 86400, text: `${step.perDay}/day` });
  return windows;
}

/** The limit key and hold name of a plan: `warmup:sender:example.jp`, `warmup:smartHost:default`. */
export function warmupKey(plan: Pick<WarmupPlan, 'kind' | 'name'>): string {
  return `warmup:${plan.kind}:${plan.kind === 'sender' ? plan.name.toLowerCase() : plan.name}`;
}

/** The start of the fixed window of `seconds` that holds `at` (windows are aligned to UTC). */
export function windowStart(at: Date, seconds: number): number {
  const ms = seconds * 1000;
  return Math.floor(at.getTime() / ms) * ms;
}

/** Whether two moments fall in the same fixed window of every one of `windows`. */
export function sameWindows(windows: readonly RateWindow[], a: Date, b: Date): boolean {
  return windows.every((w) => windowStart(a, w.seconds) === windowStart(b, w.seconds));
}

/** Where a send counts under fixed-window caps, and which limit's full window moved it there. */
export interface WindowPlacement {
  at: number;
  movedBy?: string;
}

/** Moves past a full window this often at most: a cap of 0 has no window with room. */
export const MAX_WINDOW_MOVES = 10_000;

/**
 * The first moment from `now` at which every limit's windows have room, given what each window has
 * counted (`counted(key, seconds, start)`): a full window moves it to that window's end, and the
 * windows are looked at again until none moves it. `movedBy` is the key whose window moved it last.
 */
export function placeInWindows(
  limits: readonly { key: string; windows: readonly RateWindow[] }[],
  now: number,
  counted: (key: string, seconds: number, start: number) => number,
): WindowPlacement {
  let at = now;
  let movedBy: string | undefined;
  for (let moved = true, moves = 0; moved;) {
    moved = false;
    for (const limit of limits) {
      for (const w of limit.windows) {
        const start = windowStart(new Date(at), w.seconds);
        if (counted(limit.key, w.seconds, start) < w.count) continue;
        if (++moves > MAX_WINDOW_MOVES) throw new Error(`no window of ${limit.key} (${w.text}) has room within ${MAX_WINDOW_MOVES} windows`);
        at = start + w.seconds * 1000;
        movedBy = limit.key;
        moved = true;
      }
    }
  }
  return movedBy === undefined ? { at } : { at, movedBy };
}
