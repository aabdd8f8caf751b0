// A recipient's lifetime, pure: how long after its message was queued it may still be sent. Its
// destination's own `lifetime` when it has one (Japanese operators keep carrier mail 2–4 hours, so
// stale mail is not sent late), else RELAY_MAX_RETRY_SECONDS. It runs while the recipient is held.
import type { Destination } from './types';

export interface Lifetime {
  seconds: number;
  /** where it comes from, for responses: "the lifetime of destination jp-docomo" */
  source: string;
}

export function lifetimeOf(destination: Destination | undefined, maxRetrySeconds: number): Lifetime {
  if (destination?.lifetimeSeconds !== undefined) {
    return { seconds: destination.lifetimeSeconds, source: `the lifetime of destination ${destination.name} (${destination.lifetimeSeconds}s)` };
  }
  return { seconds: maxRetrySeconds, source: `RELAY_MAX_RETRY_SECONDS=${maxRetrySeconds}` };
}

export function lifetimeEndsAt(queuedAt: Date, lifetime: Lifetime): Date {
  return new Date(queuedAt.getTime() + lifetime.seconds * 1000);
}

/** The response of a recipient whose lifetime ended before it could be sent. */
export function expiredResponse(lifetime: Lifetime, endedAt: Date, heldBy?: string): string {
  const what = heldBy ? `held by ${heldBy}; ` : '';
  return `${what}not sent: its lifetime ended at ${endedAt.toISOString()} (${lifetime.source})`;
}
