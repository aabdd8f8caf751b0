// Decide: send now (and whether to claim first), skip, or look again later. The rules are pure, in
// core/delivery.ts; this step feeds them the row and what the queue says about the task.
import { decideDelivery } from '../../core/delivery';
import { CONTINUE, type DeliveryStep, known, redelivered, stop } from './step';

export const decide: DeliveryStep = {
  name: 'decide',
  run(state) {
    const found = known(state.found, 'the row');
    const now = state.deps.now();
    const decision = decideDelivery(
      found.row,
      { attempt: state.task.attempt, queueMessageId: state.delivery.queueMessageId, redelivered: redelivered(state) },
      now,
    );
    if (decision.action === 'skip') return stop(`skipped, ${decision.reason}`);
    if (decision.action === 'wait') {
      const delaySeconds = Math.max(1, Math.ceil((decision.until.getTime() - now.getTime()) / 1000));
      return stop(`not now, ${decision.reason}; checking again in ${delaySeconds}s`, 'log', delaySeconds);
    }
    state.decidedAt = now;
    state.attempt = decision.attempt;
    state.claim = decision.claim;
    return CONTINUE;
  },
};
