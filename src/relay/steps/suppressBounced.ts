// Suppress a bounced address: after the outcome is recorded, a bounce whose category says the address
// does not exist (SUPPRESSING_CATEGORIES) puts it on the suppression list for every sender, so the
// next message to it is not sent. Policy, reputation and rate refusals say nothing about the address
// and add nothing. Costs nothing for any other outcome.
import { suppressAfter } from '../afterVerdict';
import { CONTINUE, type DeliveryStep, known } from './step';

export const suppressBounced: DeliveryStep = {
  name: 'suppress a bounced address',
  async run(state) {
    const next = known(state.next, 'the planned row');
    if (next.status !== 'bounced') return CONTINUE;
    await suppressAfter(state.deps, next, next.category ?? state.outcome?.category, known(state.finishedAt, 'the end of the send'), state.log);
    return CONTINUE;
  },
};
