// Adds one-click unsubscribe headers (RFC 8058) for this recipient when the send asked for them. The
// message is composed once for every recipient at accept; the link carries a token for this one, so
// its two header lines are put in front of the composed bytes here, per delivery, and never stored.
// DKIM signing (./signDkim.ts) runs after this step and signs both headers (Gmail requires it).
import { domainOf } from '../../core/address';
import { listUnsubscribeHeaders, unsubscribeUrl } from '../../core/listUnsubscribe';
import { signUnsubscribeToken } from '../../core/unsubscribeToken';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';

export const addUnsubscribeHeaders: DeliveryStep = {
  name: 'add the unsubscribe headers',
  run(state) {
    const row = known(state.held, 'the held row').row;
    const raw = known(state.raw, 'the body');
    if (!row.unsubscribe || raw === null) return CONTINUE;
    const { publicUrl, unsubscribeSecret } = state.deps.config;
    if (!publicUrl || !unsubscribeSecret) {
      // Accept refuses such a send while a setting is missing; one removed since is no reason to lose the mail.
      state.log.warn(`${state.label}: sent without unsubscribe headers: RELAY_PUBLIC_URL or RELAY_UNSUBSCRIBE_SECRET is no longer set`);
      return CONTINUE;
    }
    const token = signUnsubscribeToken(
      { recipient: row.recipientKey, senderDomain: domainOf(row.from), messageId: row.messageId, issuedAt: state.deps.now() },
      unsubscribeSecret,
    );
    state.raw = Buffer.concat([Buffer.from(listUnsubscribeHeaders([unsubscribeUrl(publicUrl, token)]), 'utf8'), raw]);
    return CONTINUE;
  },
};
