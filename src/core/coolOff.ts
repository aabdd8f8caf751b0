// A smart host's cool-off, pure: RELAY_SMARTHOST_COOLOFF_FAILURES failures in a row (connection,
// timeout, TLS, auth, the host's own 4xx) cool it off for RELAY_SMARTHOST_COOLOFF_SECONDS, during
// which it is skipped. When the period ends the host is on probation (half-open, like a circuit
// breaker): it is tried again, its next failure cools it off again at once, and its next success
// clears it. During a cool-off nothing changes the state: a failure or success then comes from a
// send that began before it (or an instance that has not seen it yet), and the period runs its course.
// The storage of the state is the adapter's (src/storage/smartHostHealthStore.ts).

export interface CoolOffRule {
  /** failures in a row that start a cool-off */
  failures: number;
  seconds: number;
}

export interface HostHealthState {
  /** failures in the current run (since the last success) */
  failures: number;
  /** when the current run began */
  firstFailureAt?: Date;
  /** the end of the last cool-off; in the past, the host is on probation */
  coolingUntil?: Date;
  /** what the last counted failure was, for the operators */
  lastReason?: string;
}

export type HealthEvent = { kind: 'failure'; reason: string } | { kind: 'success' };

export type HealthPhase = 'healthy' | 'failing' | 'cooling' | 'probation';

export interface HealthChange {
  next: HostHealthState;
  /** false: the state is unchanged and nothing needs writing */
  changed: boolean;
  /** the end of the cool-off this event started, if it started one */
  started?: Date;
}

export const HEALTHY: Readonly<HostHealthState> = Object.freeze({ failures: 0 });

/** A reason is a reply or an error summary; kept short, it is shown, not parsed. */
export const MAX_REASON_CHARS = 300;

export function healthPhase(state: HostHealthState, at: Date): HealthPhase {
  if (state.coolingUntil !== undefined) return at.getTime() < state.coolingUntil.getTime() ? 'cooling' : 'probation';
  return state.failures > 0 ? 'failing' : 'healthy';
}

/** The state after `event` at `at`, and whether it started a cool-off. */
export function afterHealthEvent(state: HostHealthState, event: HealthEvent, at: Date, rule: CoolOffRule): HealthChange {
  const phase = healthPhase(state, at);
  if (phase === 'cooling') return { next: state, changed: false };
  if (event.kind === 'success') return phase === 'healthy' ? { next: state, changed: false } : { next: { ...HEALTHY }, changed: true };
  const failures = state.failures + 1;
  const counted: HostHealthState = {
    failures,
    firstFailureAt: state.firstFailureAt ?? at,
    lastReason: event.reason.slice(0, MAX_REASON_CHARS),
  };
  if (phase === 'probation' || failures >= rule.failures) {
    const until = new Date(at.getTime() + rule.seconds * 1000);
    return { next: { ...counted, coolingUntil: until }, changed: true, started: until };
  }
  return { next: counted, changed: true };
}

/** The cool-off in force at `at`, if any. */
export function coolingAt(state: HostHealthState, at: Date): Date | undefined {
  return healthPhase(state, at) === 'cooling' ? state.coolingUntil : undefined;
}
