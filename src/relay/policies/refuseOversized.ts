// A destination's maxMessageBytes (au: 3 MB): a larger message is not sent to its recipients there.
// It ends `bounced`, category `message-too-large`, as the destination would have answered it. New
// messages are decided at accept (acceptMessage: the row is final there, nothing is queued); this
// check is for rows queued before that, by older versions, and for a policy whose limit changed
// since the accept. It suppresses nothing and counts for no breaker (the address is fine; the message
// is too big, and no server refused it). The size is on the row, so the check costs no storage call;
// only a recipient it stops pays the final row write and its event, as any final state does. Rows
// accepted before the size was recorded fall back to the body in the task, and go on when it is not there.
import { domainOf } from '../../core/address';
import { inlineBody } from '../../core/deliveryTask';
import { destinationFor, type Destination } from '../../core/policy/types';
import { type DeliveryRow, RowChangedError } from '../ports';
import { recordEvent } from '../steps/recordEvent';
import { CONTINUE, type DeliveryStep, known, stop } from '../steps/step';
import { endedUnsent } from './endUnsent';

export const refuseOversized: DeliveryStep = {
  name: 'refuse a message too large for its destination',
  async run(state) {
    const found = known(state.found, 'the row');
    const destination = destinationFor(state.deps.config.policy, domainOf(found.row.address));
    const limit = destination?.maxMessageBytes;
    if (!destination || limit === undefined) return CONTINUE;
    const size = found.row.messageBytes ?? inlineBody(state.task)?.length;
    if (size === undefined || size <= limit) return CONTINUE;
    const now = state.deps.now();
    const row = oversizedRow(found.row, size, destination, now);
    try {
      await state.deps.deliveries.replace(row, found.etag);
    } catch (err) {
      if (err instanceof RowChangedError)
        return stop('too large for its destination, but the row changed meanwhile (a duplicate task?); not recorded, not sent', 'warn');
      throw err;
    }
    await recordEvent(state.deps, row, now, state.log, state.label);
    return stop(`not sent: ${row.response ?? ''}`);
  },
};

export function oversizedResponse(size: number, destination: Destination): string {
  return `not sent: the message is ${size} bytes; destination ${destination.name} accepts at most ${destination.maxMessageBytes ?? 0} (maxMessageBytes)`;
}

function oversizedRow(row: DeliveryRow, size: number, destination: Destination, now: Date): DeliveryRow {
  return endedUnsent(row, { status: 'bounced', category: 'message-too-large', response: oversizedResponse(size, destination) }, now);
}
