// A recipient's lifetime while it waits: its destination's `lifetime`, else RELAY_MAX_RETRY_SECONDS,
// from its row's sendAt (a scheduled send) or queuedAt (core/policy/lifetime.ts). A recipient whose lifetime ended, or would end
// before a hold lets it go, ends now as `failed`, category `expired`: recorded by the same steps as a
// reply's outcome (the row, its event; nothing sent, no suppression, no count for the breaker).
import { domainOf } from '../../core/address';
import { expiredResponse, lifetimeEndsAt, lifetimeOf, type Lifetime } from '../../core/policy/lifetime';
import { destinationFor } from '../../core/policy/types';
import type { RelayConfig } from '../../config';
import type { DeliveryRow } from '../ports';
import { RECORD_STEPS } from '../steps/recordSteps';
import { CONTINUE, type DeliveryState, type DeliveryStep, isStop, known, stop, type StepStop } from '../steps/step';
import { endedUnsent } from './endUnsent';

/** The lifetime of a recipient of `row`, and when it ends. */
export function recipientLifetime(config: RelayConfig, row: DeliveryRow): { lifetime: Lifetime; endsAt: Date } {
  const lifetime = lifetimeOf(destinationFor(config.policy, domainOf(row.recipientKey)), config.maxRetrySeconds);
  return { lifetime, endsAt: lifetimeEndsAt(row.sendAt ?? row.queuedAt, lifetime) };
}

/**
 * How late after the lifetime's end a task may still make its attempt. Retries and holds are
 * scheduled within the lifetime, but the queue hands a task out up to its polling interval later
 * (host.json: 2 s; more when an instance starts cold): that attempt is made, not failed for seconds.
 */
export const LATE_ARRIVAL_GRACE_SECONDS = 60;

/** A task that comes after its recipient's lifetime ended (a backlog, an outage) is not sent. */
export const endExpired: DeliveryStep = {
  name: 'end an expired recipient',
  async run(state) {
    const row = known(state.found, 'the row').row;
    const now = known(state.decidedAt, 'the time of the decision');
    const { endsAt } = recipientLifetime(state.deps.config, row);
    return now.getTime() > endsAt.getTime() + LATE_ARRIVAL_GRACE_SECONDS * 1000 ? expire(state) : CONTINUE;
  },
};

/** Ends the recipient as failed, `expired`, through the record steps; `heldBy` names the hold it was in. */
export async function expire(state: DeliveryState, heldBy?: string): Promise<StepStop> {
  const found = known(state.found, 'the row');
  const attempt = known(state.attempt, 'the attempt');
  const now = known(state.decidedAt, 'the time of the decision');
  const { lifetime, endsAt } = recipientLifetime(state.deps.config, found.row);
  state.held = found;
  state.finishedAt = now;
  state.next = endedUnsent(
    unclaimed(found.row, attempt),
    { status: 'failed', category: 'expired', response: expiredResponse(lifetime, endsAt, heldBy ?? found.row.heldBy) },
    now,
  );
  for (const step of RECORD_STEPS) {
    const result = await step.run(state);
    if (isStop(result)) return result;
  }
  return stop('not sent, its lifetime ended');
}

/**
 * The row without this invocation's claim. A row found `sending` is a redelivered task's own or
 * expired claim (decide let it through): back to the attempts before this one, since this attempt is
 * not made (a hold requeues the task, which must then find its attempt still to make).
 */
export function unclaimed(row: DeliveryRow, attempt: number): DeliveryRow {
  return row.status === 'sending'
    ? { ...row, status: attempt > 1 ? 'deferred' : 'queued', attempts: attempt - 1, leaseUntil: undefined, leaseOwner: undefined }
    : row;
}
