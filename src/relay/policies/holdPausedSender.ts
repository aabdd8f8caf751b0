// Hold a paused sender's recipient: nothing is sent for a sender domain the bounce-rate breaker (or
// an operator) paused. A hold is no attempt: the row keeps its status and attempts, says what holds
// it, and the same task (same attempt number, so decideDelivery still lets it send) comes back after
// RELAY_HOLD_RECHECK_SECONDS. The pause is read from the breaker's cache, no storage call per send;
// the row is written once per hold, not at each recheck.
import { domainOf } from '../../core/address';
import { pauseHold } from '../../core/breaker';
import { type DeliveryRow, RowChangedError } from '../ports';
import { CONTINUE, type DeliveryStep, known, stop } from '../steps/step';

export const holdPausedSender: DeliveryStep = {
  name: 'hold a paused sender',
  async run(state) {
    const found = known(state.found, 'the row');
    const attempt = known(state.attempt, 'the attempt');
    const pause = await state.deps.senders.pauseOf(domainOf(found.row.from));
    if (!pause) return CONTINUE;
    const recheck = state.deps.config.holdRecheckSeconds;
    const heldBy = pauseHold(pause.domain);
    const why = `held, sender domain ${pause.domain} is paused (${pause.reason}); checking again in ${recheck}s`;
    if (found.row.heldBy === heldBy && found.row.status !== 'sending') return stop(why, 'log', recheck);
    const now = known(state.decidedAt, 'the time of the decision');
    try {
      await state.deps.deliveries.replace(heldRow(found.row, attempt, heldBy, new Date(now.getTime() + recheck * 1000), now), found.etag);
    } catch (err) {
      // Another invocation changed the row and carries it on; a copy of this task would only race it.
      if (err instanceof RowChangedError) return stop('not held, the row changed meanwhile (a duplicate task?)', 'warn');
      throw err;
    }
    return stop(why, 'log', recheck);
  },
};

/**
 * The row as held. A row found `sending` is a redelivered task's own or expired claim (decide let it
 * through): the claim is undone, back to the attempts before this one, or the requeued task (a new
 * queue message, so no longer the claim's owner) would find its attempt made and skip it for good.
 */
function heldRow(row: DeliveryRow, attempt: number, heldBy: string, nextAttemptAt: Date, now: Date): DeliveryRow {
  const unclaimed: DeliveryRow =
    row.status === 'sending'
      ? { ...row, status: attempt > 1 ? 'deferred' : 'queued', attempts: attempt - 1, leaseUntil: undefined, leaseOwner: undefined }
      : row;
  return { ...unclaimed, heldBy, nextAttemptAt, updatedAt: now };
}
