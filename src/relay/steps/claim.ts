// Claim: mark the row `sending` under a lease held by this queue message, when the decision asks for
// it (a redelivered task, or one without an attempt number). A first delivery writes no claim.
import { deliveryAttemptBoundMs } from '../../config';
import { failoverWindowMs } from './sendAlongRoute';
import { type DeliveryRow, RowChangedError, type StoredRow } from '../ports';
import { CONTINUE, type DeliveryState, type DeliveryStep, known, redelivered, stop } from './step';

export const claim: DeliveryStep = {
  name: 'claim',
  async run(state) {
    const found = known(state.found, 'the row');
    const attempt = known(state.attempt, 'the attempt');
    if (known(state.claim, 'whether to claim')) {
      const claimed = await claimRow(state, found, attempt, known(state.decidedAt, 'the time of the decision'));
      if (!claimed) return stop('another invocation claimed it first');
      state.held = claimed;
    } else {
      state.held = found;
    }
    const again = redelivered(state) ? ` (the task came back after an invocation that did not finish; the smart host may have it already)` : '';
    state.log.log(`${state.label}: sending, attempt ${attempt}${again}`);
    return CONTINUE;
  },
};

/** The claimed row, or undefined if another invocation changed the row first. */
async function claimRow(state: DeliveryState, found: StoredRow, attempt: number, now: Date): Promise<StoredRow | undefined> {
  const sending: DeliveryRow = {
    ...found.row,
    status: 'sending',
    attempts: attempt,
    updatedAt: now,
    leaseUntil: new Date(now.getTime() + leaseMs(state)),
    leaseOwner: state.delivery.queueMessageId,
    nextAttemptAt: undefined,
    redeliveries: (found.row.redeliveries ?? 0) + (redelivered(state) ? 1 : 0),
  };
  try {
    return { row: sending, etag: await state.deps.deliveries.replace(sending, found.etag) };
  } catch (err) {
    if (err instanceof RowChangedError) return undefined;
    throw err;
  }
}

/**
 * Long enough to cover one whole SMTP transaction at its timeouts, and a failover to the next smart
 * host of the route (./sendAlongRoute.ts), so a live sender is never overtaken.
 */
function leaseMs(state: DeliveryState): number {
  const failover = (state.route?.length ?? 1) > 1 ? failoverWindowMs(state.deps.config.smartHost) : 0;
  return deliveryAttemptBoundMs(state.deps.config.smartHost) + failover;
}
