// Plan the outcome: the row that records what the smart host said. Pure: scheduling the retry and
// writing the row are the steps after it.
import { planAfterTemporaryFailure } from '../../core/delivery';
import { upstreamIdFromReply } from '../../core/upstreamId';
import type { RelayConfig } from '../../config';
import type { DeliveryRow } from '../ports';
import { recipientLifetime } from '../policies/lifetime';
import { CONTINUE, type DeliveryStep, known } from './step';

export const planOutcome: DeliveryStep = {
  name: 'plan the outcome',
  run(state) {
    const row = known(state.held, 'the held row').row;
    const attempt = known(state.attempt, 'the attempt');
    const outcome = known(state.outcome, 'the outcome');
    const at = known(state.finishedAt, 'the end of the send');
    const base: DeliveryRow = {
      ...row,
      attempts: attempt,
      smtpCode: outcome.smtpCode,
      enhancedCode: outcome.enhancedCode,
      response: outcome.response,
      // why it ended so: the last reply's category, kept when retries run out; none once sent
      category: outcome.kind === 'accepted' ? undefined : (outcome.category ?? 'other'),
      updatedAt: at,
      leaseUntil: undefined,
      leaseOwner: undefined,
      nextAttemptAt: undefined,
      // attempted now, so no policy holds it any more
      heldBy: undefined,
      // the host whose reply this is (after a failover, the last one tried)
      ...(state.smartHost !== undefined ? { smartHost: state.smartHost } : {}),
    };
    // The 250's queue id lets the upstream's later events find this row (see relay/upstreamEvents).
    const upstreamId = outcome.kind === 'accepted' ? upstreamIdFromReply(outcome.response) : undefined;
    if (outcome.kind === 'accepted') state.next = { ...base, status: 'sent', sentAt: at, ...(upstreamId ? { upstreamId } : {}) };
    else if (outcome.kind === 'permanent') state.next = { ...base, status: state.raw ? 'bounced' : 'failed' };
    else {
      const plan = planAfterTemporaryFailure(attempt, row.sendAt ?? row.queuedAt, at, retryPolicy(state.deps.config, row));
      state.next =
        plan.status === 'failed'
          ? { ...base, status: 'failed', response: `${outcome.response} (${plan.reason})` }
          : { ...base, status: 'deferred', nextAttemptAt: plan.nextAttemptAt };
    }
    return CONTINUE;
  },
};

/**
 * Retries end with the recipient's lifetime: a destination's shorter `lifetime` ends them sooner. A
 * recipient failed so keeps its last reply's category (why its attempts did not go through), as when
 * RELAY_MAX_RETRY_SECONDS ends them; `expired` is for one its lifetime ended before it was tried.
 */
function retryPolicy(c: RelayConfig, row: DeliveryRow) {
  const { lifetime } = recipientLifetime(c, row);
  return {
    firstDelaySeconds: c.retryFirstDelaySeconds,
    maxDelaySeconds: c.retryMaxDelaySeconds,
    maxRetrySeconds: lifetime.seconds,
    lifetimeSource: lifetime.source,
  };
}
