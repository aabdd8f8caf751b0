// Quiet hours: a destination with `hours` takes mail only inside its daily window, on its time
// zone's clock. Outside it, the recipient is held until the window opens (one hold, one requeue; no
// storage call to decide). It comes before any rate reservation, so a held recipient uses no slot.
import { domainOf } from '../../core/address';
import { describeHours, isWithinHours, nextOpening } from '../../core/policy/hours';
import { destinationFor } from '../../core/policy/types';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';
import { holdUntil } from './hold';

export const waitForHours: DeliveryStep = {
  name: 'wait for the delivery hours',
  run(state) {
    const row = known(state.found, 'the row').row;
    const destination = destinationFor(state.deps.config.policy, domainOf(row.recipientKey));
    const hours = destination?.hours;
    if (!destination || !hours) return CONTINUE;
    const now = known(state.decidedAt, 'the time of the decision');
    if (isWithinHours(hours, now)) return CONTINUE;
    return holdUntil(state, {
      heldBy: `hours:destination:${destination.name}`,
      until: nextOpening(hours, now),
      why: `destination ${destination.name} takes mail ${describeHours(hours)} only`,
    });
  },
};
