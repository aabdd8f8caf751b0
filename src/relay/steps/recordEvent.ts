// Record the event: the outcome in the events table, the time index of the deliveries rows.
import { summarizeError } from '../../errors';
import type { RelayDeps, RelayLog } from '../deps';
import type { DeliveryRow } from '../ports';
import { CONTINUE, type DeliveryStep, known } from './step';

export const recordOutcomeEvent: DeliveryStep = {
  name: 'record the event',
  async run(state) {
    // a send under a rate rule has a slot: its event may wait a moment for the next paced send's
    const paced = state.slotAt !== undefined;
    await recordEvent(state.deps, known(state.next, 'the planned row'), known(state.finishedAt, 'the end of the send'), state.log, state.label, paced);
    return CONTINUE;
  },
};

export async function recordEvent(deps: RelayDeps, row: DeliveryRow, at: Date, log: RelayLog, label: string, paced = false): Promise<void> {
  try {
    await deps.events.record([row], at, paced);
  } catch (err) {
    // The deliveries row is the record of truth; the event is its time index.
    log.error(`${label}: ${row.status} recorded, but its event row could not be written (${summarizeError(err)})`);
  }
}
