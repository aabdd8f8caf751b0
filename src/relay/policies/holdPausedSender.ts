// Hold a paused sender's recipient: nothing is sent for a sender domain the bounce-rate breaker (or
// an operator) paused. The same task (same attempt number, so decideDelivery still lets it send)
// comes back after RELAY_HOLD_RECHECK_SECONDS, since a pause has no end time of its own. The pause
// is read from the breaker's cache, no storage call per send.
import { domainOf } from '../../core/address';
import { pauseHold } from '../../core/breaker';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';
import { holdUntil } from './hold';

export const holdPausedSender: DeliveryStep = {
  name: 'hold a paused sender',
  async run(state) {
    const found = known(state.found, 'the row');
    const pause = await state.deps.senders.pauseOf(domainOf(found.row.from));
    if (!pause) return CONTINUE;
    const now = known(state.decidedAt, 'the time of the decision');
    const recheck = state.deps.config.holdRecheckSeconds;
    return holdUntil(state, {
      heldBy: pauseHold(pause.domain),
      until: new Date(now.getTime() + recheck * 1000),
      why: `sender domain ${pause.domain} is paused (${pause.reason})`,
      recheck: true,
    });
  },
};
