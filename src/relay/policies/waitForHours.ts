// Quiet hours: a destination with `hours` takes mail only inside its daily window, on its time
// zone's clock. Outside it, the recipient is held until the window opens (one hold, one requeue; no
// storage call to decide). It comes before any rate reservation, so a held recipient uses no slot,
// and before the suppression check, whose query is then not made for it (see lookUpSuppressions):
// the list is checked when the window opens, before anything is sent.
import { domainOf } from '../../core/address';
import { describeHours, isWithinHours, nextOpening } from '../../core/policy/hours';
import { type DailyHours, type DeliveryPolicy, type Destination, destinationFor } from '../../core/policy/types';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';
import { holdUntil } from './hold';

export const waitForHours: DeliveryStep = {
  name: 'wait for the delivery hours',
  run(state) {
    const row = known(state.found, 'the row').row;
    const now = known(state.decidedAt, 'the time of the decision');
    const closed = closedDestination(state.deps.config.policy, row.recipientKey, now);
    if (!closed) return CONTINUE;
    const { destination, hours } = closed;
    return holdUntil(state, {
      heldBy: `hours:destination:${destination.name}`,
      until: nextOpening(hours, now),
      why: `destination ${destination.name} takes mail ${describeHours(hours)} only`,
    });
  },
};

/** The recipient's destination when its hours exclude `at`; undefined when it may be sent then. */
export function closedDestination(policy: DeliveryPolicy, recipient: string, at: Date): { destination: Destination; hours: DailyHours } | undefined {
  const destination = destinationFor(policy, domainOf(recipient));
  const hours = destination?.hours;
  if (!destination || !hours || isWithinHours(hours, at)) return undefined;
  return { destination, hours };
}
