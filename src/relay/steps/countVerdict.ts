// Count the verdict for the bounce-rate breaker: a recorded `sent` or `bounced` is an attempt of its
// sender domain, and a bounce of category invalid-recipient a hard bounce. In memory (see
// SenderReputation.record): no storage call here. It runs after the outcome is recorded, so an
// outcome that was not recorded (the row changed meanwhile) is not counted either.
import type { SenderCounts } from '../ports';
import { countForBreaker } from '../afterVerdict';
import { CONTINUE, type DeliveryStep, known } from './step';

export const countVerdict: DeliveryStep = {
  name: 'count the verdict',
  run(state) {
    const next = known(state.next, 'the planned row');
    const category = next.category ?? known(state.outcome, 'the outcome').category;
    let counts: SenderCounts | undefined;
    if (next.status === 'sent') counts = { attempts: 1 };
    else if (next.status === 'bounced') counts = { attempts: 1, hardBounces: category === 'invalid-recipient' ? 1 : 0 };
    if (counts) countForBreaker(state.deps, next, counts, known(state.finishedAt, 'the end of the send'));
    return CONTINUE;
  },
};
