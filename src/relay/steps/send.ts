// Send: one recipient, one SMTP transaction through a pooled smart host connection: `default`, or
// the smart hosts of the recipient's route in failover order (./sendAlongRoute.ts). With
// RELAY_BOUNCE_DOMAIN set the envelope sender is the recipient's VERP return path (core/verp), so a
// bounce names its recipient; otherwise it is the From address.
import { DEFAULT_SMART_HOST } from '../../core/policy/types';
import { verpAddress } from '../../core/verp';
import { sendAlongRoute } from './sendAlongRoute';
import { CONTINUE, type DeliveryStep, known } from './step';

const BODY_MISSING = 'the message body is missing from storage';

export const send: DeliveryStep = {
  name: 'send',
  async run(state) {
    const raw = known(state.raw, 'the body');
    const row = known(state.held, 'the held row').row;
    const bounceDomain = state.deps.config.bounceDomain;
    const from = bounceDomain ? verpAddress(row.messageId, row.recipientKey, bounceDomain) : row.from;
    const envelope = { from, to: row.address };
    if (!raw) {
      state.smartHost = state.route?.[0] ?? DEFAULT_SMART_HOST;
      state.outcome = { kind: 'permanent', response: BODY_MISSING, category: 'other' };
    } else if (state.route) {
      state.outcome = await sendAlongRoute(state, state.route, envelope, raw);
    } else {
      // no route matched: `default` alone, with no failover and no health counted, as before routing
      const smartHost = known(state.deps.smartHosts.get(DEFAULT_SMART_HOST), 'the default smart host');
      state.smartHost = DEFAULT_SMART_HOST;
      state.outcome = await smartHost.send(envelope, raw);
    }
    state.finishedAt = state.deps.now();
    return CONTINUE;
  },
};
