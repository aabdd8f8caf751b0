// Send slots under rate windows, GCRA-style (the generic cell rate algorithm, as in ATM and in rate
// limiters such as redis-cell): each window keeps one number, its theoretical arrival time (TAT),
// the earliest moment its next send may go. "N in W seconds" spaces sends one emission interval
// apart with no burst tolerance, so any W-second window holds at most N of them. Pure: the shaping
// table's adapter stores the TATs and this module says what a reservation makes of them.
//
// Why the emission interval is W/N stretched by a margin: slots are handed out from one shared
// state, so they are at least one interval apart in the state's time, but each is sent by an
// instance on its own clock and a little late. With the clocks at most `skew` apart and a send
// reaching the smart host within `jitter` after its slot on its sender's clock, the sends of the
// slots lie in true time within a band of skew + jitter (= margin) around them: with slot spacing
// T, a W-second window of true time catches sends from slots spread over at most W + margin
// seconds, at most ⌈(W + margin) / T⌉ of them. Spacing
// T = (W + margin) / N keeps that at N. The margin is 2 s of clock skew between instances plus 1 s
// of send-time jitter, capped at 5 % of the window, so an achieved rate stays within 5 % of the
// limit (a per-minute limit achieves 60/63 of it); a per-second window gets only its 5 % and relies
// on the clocks agreeing better than that. A task that reaches its slot later than the jitter
// allowance (LATE_SLOT_MS) reserves again rather than eat into the margin.
import type { RateWindow } from './types';

/** Clock difference between instances that the spacing absorbs (NTP-synced hosts stay far below it). */
export const CLOCK_SKEW_MARGIN_MS = 2000;
/** Spread of the moment a send reaches the smart host after its slot (timer, pool, TLS, DATA). */
export const SEND_JITTER_MARGIN_MS = 1000;
/** The margin never costs a window more than this share of its rate. */
export const MAX_MARGIN_SHARE = 0.05;
/** A slot reached later than this reserves again: a later send would use up the margin. */
export const LATE_SLOT_MS = SEND_JITTER_MARGIN_MS;

/** The windows' theoretical arrival times (ms since the epoch), by window length in seconds. */
export type RateState = Readonly<Record<string, number>>;

export const NO_RATE_STATE: RateState = Object.freeze({});

/** The margin a window's spacing absorbs, in ms. */
export function marginMs(window: Pick<RateWindow, 'seconds'>): number {
  return Math.min(CLOCK_SKEW_MARGIN_MS + SEND_JITTER_MARGIN_MS, window.seconds * 1000 * MAX_MARGIN_SHARE);
}

/** Milliseconds between two sends under `window`, margin included. */
export function emissionIntervalMs(window: Pick<RateWindow, 'count' | 'seconds'>): number {
  if (!(window.count > 0) || !(window.seconds > 0))
    throw new RangeError(`a rate window needs a positive count and length, got ${window.count}/${window.seconds}s`);
  return (window.seconds * 1000 + marginMs(window)) / window.count;
}

/** The window's key in the state: windows of the same length are one (the stricter spacing wins). */
export function windowKey(window: Pick<RateWindow, 'seconds'>): string {
  return String(window.seconds);
}

/** The earliest moment, not before `nowMs`, at which every window has room. */
export function earliestSlot(state: RateState, windows: readonly RateWindow[], nowMs: number): number {
  let slot = nowMs;
  for (const window of windows) slot = Math.max(slot, state[windowKey(window)] ?? 0);
  return slot;
}

/**
 * The state after one send at `slotMs` (at or after earliestSlot): every window counts it there.
 * Windows of the state that `windows` no longer has are kept while they still lie ahead, so a
 * policy edited between instances' restarts never frees room that was handed out.
 */
export function afterSend(state: RateState, windows: readonly RateWindow[], slotMs: number): RateState {
  const next: Record<string, number> = {};
  for (const [key, tat] of Object.entries(state)) if (tat > slotMs) next[key] = tat;
  for (const window of windows) {
    const key = windowKey(window);
    const tat = Math.max(state[key] ?? 0, slotMs) + emissionIntervalMs(window);
    next[key] = Math.max(next[key] ?? 0, tat);
  }
  return next;
}

/** The windows with their counts multiplied by a slow-down's factor (0 < factor ≤ 1). */
export function slowedWindows(windows: readonly RateWindow[], factor: number | undefined): readonly RateWindow[] {
  if (factor === undefined || !(factor > 0) || factor >= 1) return windows;
  return windows.map((w) => ({ ...w, count: w.count * factor, text: `${w.text} × ${factor}` }));
}

/** Reads a stored state, dropping anything that is not a finite time (a hand-edited row is not trusted). */
export function parseRateState(text: unknown): RateState {
  if (typeof text !== 'string' || !text) return NO_RATE_STATE;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NO_RATE_STATE;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return NO_RATE_STATE;
  const state: Record<string, number> = {};
  for (const [key, tat] of Object.entries(value as Record<string, unknown>)) if (typeof tat === 'number' && Number.isFinite(tat)) state[key] = tat;
  return state;
}
