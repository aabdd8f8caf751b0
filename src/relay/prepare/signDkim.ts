// DKIM-signs the message with the header-From domain's key, last of the preparation steps, so the
// signature covers every header the steps before it added (the one-click unsubscribe pair above
// all: RFC 8058 wants it signed). Once per attempt: the signed bytes are state.raw, which every smart
// host of a failover is handed unchanged. A domain with no key is sent unsigned, at the cost of one
// map lookup.
import { domainOf } from '../../core/address';
import { dkimSign } from '../../core/dkim/sign';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';

export const signDkim: DeliveryStep = {
  name: 'sign with DKIM',
  async run(state) {
    const raw = known(state.raw, 'the body');
    if (raw === null) return CONTINUE;
    // row.from is the header From, its domain already lower case and A-label (core/address)
    const key = state.deps.config.dkimKeys.get(domainOf(known(state.held, 'the held row').row.from));
    if (!key) return CONTINUE;
    state.raw = await dkimSign(raw, key, state.deps.now());
    return CONTINUE;
  },
};
