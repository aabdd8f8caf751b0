// Record the outcome: replace the row this invocation holds, if nothing changed it meanwhile.
import { RowChangedError } from '../ports';
import { CONTINUE, type DeliveryStep, known, stop } from './step';

export const recordOutcome: DeliveryStep = {
  name: 'record the outcome',
  async run(state) {
    const next = known(state.next, 'the planned row');
    try {
      await state.deps.deliveries.replace(next, known(state.held, 'the held row').etag);
    } catch (err) {
      if (err instanceof RowChangedError) return stop(`${next.status} but the row changed meanwhile (a duplicate task?); outcome not recorded`, 'warn');
      throw err;
    }
    // The reply text already begins with its basic and enhanced codes.
    state.log.log(`${state.label}: ${next.status}: ${next.response ?? ''}${next.nextAttemptAt ? ` (next attempt ${next.nextAttemptAt.toISOString()})` : ''}`);
    return CONTINUE;
  },
};
