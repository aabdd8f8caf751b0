// Send: one recipient, one SMTP transaction through the pooled smart host connection. With
// RELAY_BOUNCE_DOMAIN set the envelope sender is the recipient's VERP return path (core/verp), so a
// bounce names its recipient; otherwise it is the From address.
import { DEFAULT_SMART_HOST } from '../../core/policy/types';
import { verpAddress } from '../../core/verp';
import { CONTINUE, type DeliveryStep, known } from './step';

const BODY_MISSING = 'the message body is missing from storage';

export const send: DeliveryStep = {
  name: 'send',
  async run(state) {
    const raw = known(state.raw, 'the body');
    const row = known(state.held, 'the held row').row;
    const bounceDomain = state.deps.config.bounceDomain;
    const from = bounceDomain ? verpAddress(row.messageId, row.recipientKey, bounceDomain) : row.from;
    const smartHost = known(state.deps.smartHosts.get(DEFAULT_SMART_HOST), 'the default smart host');
    state.smartHost = DEFAULT_SMART_HOST;
    state.outcome = raw ? await smartHost.send({ from, to: row.address }, raw) : { kind: 'permanent', response: BODY_MISSING, category: 'other' };
    state.finishedAt = state.deps.now();
    return CONTINUE;
  },
};
