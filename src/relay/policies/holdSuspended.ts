// Hold a suspended destination's or smart host's recipient: while a reaction rule or an operator has
// suspended the recipient's destination, or the smart host it would go through (the first of its
// route, `default` without one), nothing is sent to it. A slow-down (a suspension with a rateFactor) does not hold; the pacing reads it.
// The suspension is read from the adapter's short-lived cache, no storage call per send.
// The task looks again every RELAY_HOLD_RECHECK_SECONDS (or at the suspension's end, if sooner),
// so an operator's lift releases it within that time, and the row is written once per hold, with
// `nextAttemptAt` the first look: the suspension's own end is in GET /api/v1/suspensions.
import { domainOf } from '../../core/address';
import { destinationFor } from '../../core/policy/types';
import { suspensionHold } from '../../core/reactions';
import type { Suspension } from '../ports';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';
import { firstSmartHost } from './chooseRoute';
import { holdUntil } from './hold';

export const holdSuspended: DeliveryStep = {
  name: 'hold a suspended destination or smart host',
  async run(state) {
    const { config, suspensions } = state.deps;
    const now = known(state.decidedAt, 'the time of the decision');
    const destination = destinationFor(config.policy, domainOf(state.task.recipient));
    const [ofDestination, ofSmartHost] = await Promise.all([
      destination ? suspensions.activeFor('destination', destination.name, now) : undefined,
      suspensions.activeFor('smartHost', firstSmartHost(state), now),
    ]);
    const holding = [ofDestination, ofSmartHost]
      .filter((s): s is Suspension => s !== undefined && s.rateFactor === undefined)
      // the one that ends last is what the recipient waits for
      .sort((a, b) => b.until.getTime() - a.until.getTime())[0];
    if (!holding) return CONTINUE;
    const recheckAt = now.getTime() + config.holdRecheckSeconds * 1000;
    return holdUntil(state, {
      heldBy: suspensionHold(holding.kind, holding.name),
      until: new Date(Math.min(holding.until.getTime(), recheckAt)),
      why: `${holding.kind} ${holding.name} is suspended until ${holding.until.toISOString()} (${holding.reason})`,
      recheck: true,
    });
  },
};
