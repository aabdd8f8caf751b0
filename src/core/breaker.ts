// The bounce-rate breaker's rules, pure: the rates of a sender domain's verdicts, what they mean
// against the thresholds, the domain's state (active, warning, paused) and the one change of state
// an evaluation may make. Only an operator's resume ends a pause, and a resume starts counting anew.
// The storage of counts and states is the adapter's (src/storage/senderStore.ts).

export interface BreakerThresholds {
  bounceWarnPercent: number;
  bouncePausePercent: number;
  complaintWarnPercent: number;
  complaintPausePercent: number;
  /** fewest attempts before a rate may pause (a warning needs none) */
  minVolume: number;
  windowHours: number;
}

export interface BreakerCounts {
  /** recipients that got a verdict: sent or bounced (a suppressed recipient is no attempt) */
  attempts: number;
  /** bounces of category invalid-recipient, immediate or late */
  hardBounces: number;
  complaints: number;
}

export const NO_COUNTS: Readonly<BreakerCounts> = Object.freeze({ attempts: 0, hardBounces: 0, complaints: 0 });

export type BreakerState = 'active' | 'warning' | 'paused';

/** What the senders table keeps about a domain besides its counts. */
export interface SenderStatus {
  state: BreakerState;
  pausedAt?: Date;
  pausedReason?: string;
  /** the last resume: counting starts again from here */
  resumedAt?: Date;
}

export const NEVER_SEEN: Readonly<SenderStatus> = Object.freeze({ state: 'active' });

export function addCounts(a: BreakerCounts, b: Partial<BreakerCounts>): BreakerCounts {
  return { attempts: a.attempts + (b.attempts ?? 0), hardBounces: a.hardBounces + (b.hardBounces ?? 0), complaints: a.complaints + (b.complaints ?? 0) };
}

/** Hard bounces and complaints as percentages of attempts; 0 with no attempts. */
export function breakerRates(counts: BreakerCounts): { bounceRate: number; complaintRate: number } {
  const percent = (n: number) => (counts.attempts === 0 ? 0 : round2((100 * n) / counts.attempts));
  return { bounceRate: percent(counts.hardBounces), complaintRate: percent(counts.complaints) };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export type Judgement = { level: 'ok' } | { level: 'warn' | 'pause'; reason: string };

/**
 * What the counts say, rates above a threshold (strictly) counting: pause needs the minimum volume
 * as well, so that three bounces out of the first ten sends do not stop a domain; a warning does not.
 */
export function judgeCounts(counts: BreakerCounts, t: BreakerThresholds): Judgement {
  const { bounceRate, complaintRate } = breakerRates(counts);
  const of = `of ${counts.attempts} attempts`;
  const enough = counts.attempts >= t.minVolume;
  if (enough && bounceRate > t.bouncePausePercent) {
    return { level: 'pause', reason: `hard-bounce rate ${bounceRate} % ${of} is above RELAY_BOUNCE_PAUSE_PERCENT (${t.bouncePausePercent} %)` };
  }
  if (enough && complaintRate > t.complaintPausePercent) {
    return { level: 'pause', reason: `complaint rate ${complaintRate} % ${of} is above RELAY_COMPLAINT_PAUSE_PERCENT (${t.complaintPausePercent} %)` };
  }
  if (bounceRate > t.bounceWarnPercent) {
    return { level: 'warn', reason: `hard-bounce rate ${bounceRate} % ${of} is above RELAY_BOUNCE_WARN_PERCENT (${t.bounceWarnPercent} %)` };
  }
  if (complaintRate > t.complaintWarnPercent) {
    return { level: 'warn', reason: `complaint rate ${complaintRate} % ${of} is above RELAY_COMPLAINT_WARN_PERCENT (${t.complaintWarnPercent} %)` };
  }
  return { level: 'ok' };
}

/** The state to show: a pause stands until a resume; otherwise what the counts say now. */
export function currentState(status: SenderStatus, counts: BreakerCounts, t: BreakerThresholds): BreakerState {
  if (status.state === 'paused') return 'paused';
  return judgeCounts(counts, t).level === 'ok' ? 'active' : 'warning';
}

export interface Transition {
  next: SenderStatus;
  /** the line to log, once, by whoever writes the change */
  message: string;
  level: 'log' | 'warn';
}

/**
 * The change an evaluation of fresh counts makes to the stored status, if any: active and warning
 * move with the rates, either may become paused, and paused stays paused (only resume() ends it).
 * A change is written once (conditionally), so its line is logged once across every instance.
 */
export function evaluateBreaker(status: SenderStatus, counts: BreakerCounts, t: BreakerThresholds, now: Date): Transition | undefined {
  if (status.state === 'paused') return undefined;
  const judged = judgeCounts(counts, t);
  if (judged.level === 'pause') {
    return {
      next: { state: 'paused', pausedAt: now, pausedReason: judged.reason, resumedAt: status.resumedAt },
      message: `paused: ${judged.reason}; its mail is accepted and held until an operator resumes it`,
      level: 'warn',
    };
  }
  if (judged.level === 'warn' && status.state === 'active') {
    return { next: { state: 'warning', resumedAt: status.resumedAt }, message: `warning: ${judged.reason}`, level: 'warn' };
  }
  if (judged.level === 'ok' && status.state === 'warning') {
    return { next: { state: 'active', resumedAt: status.resumedAt }, message: 'back below the warning rates', level: 'log' };
  }
  return undefined;
}

/** An operator's pause; pausing a paused domain changes nothing. */
export function manualPause(status: SenderStatus, reason: string, now: Date): SenderStatus | undefined {
  if (status.state === 'paused') return undefined;
  return { state: 'paused', pausedAt: now, pausedReason: `paused by an operator: ${reason}`, resumedAt: status.resumedAt };
}

/** An operator's resume: the pause ends and counting starts again now; a domain not paused is left as it is. */
export function resumeSender(status: SenderStatus, now: Date): SenderStatus | undefined {
  if (status.state !== 'paused') return undefined;
  return { state: 'active', resumedAt: now };
}

/** Where the counted window begins: the window's length back from now, or the last resume if later. */
export function windowStart(now: Date, windowHours: number, resumedAt: Date | undefined): Date {
  const start = now.getTime() - windowHours * 3_600_000;
  return new Date(resumedAt === undefined ? start : Math.max(start, resumedAt.getTime()));
}

/** The hour a count belongs to, as a sortable key ("2026-03-01T10"). */
export function countBucket(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** What a held recipient's row says holds it. */
export function pauseHold(senderDomain: string): string {
  return `sender-paused:${senderDomain}`;
}

/**
 * How often an instance writes its counts and how long it trusts what it last read of a domain's
 * pause: 5 s, or the hold recheck if that is shorter, so a held recipient never waits on a stale
 * pause longer than it waits for its recheck. A pause takes effect on every instance within this
 * (after the flush that crossed the rate), and a resume releases held mail within this plus the recheck.
 */
export function breakerRefreshMs(holdRecheckSeconds: number): number {
  return Math.min(5_000, holdRecheckSeconds * 1000);
}
