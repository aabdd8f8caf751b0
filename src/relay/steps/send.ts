// Send: one recipient, one SMTP transaction through the pooled smart host connection.
import { CONTINUE, type DeliveryStep, known } from './step';

const BODY_MISSING = 'the message body is missing from storage';

export const send: DeliveryStep = {
  name: 'send',
  async run(state) {
    const raw = known(state.raw, 'the body');
    const row = known(state.held, 'the held row').row;
    state.outcome = raw
      ? await state.deps.smartHost.send({ from: row.from, to: row.address }, raw)
      : { kind: 'permanent', response: BODY_MISSING, category: 'other' };
    state.finishedAt = state.deps.now();
    return CONTINUE;
  },
};
