// Read the body: from the task when it travels inline, else from its blob: the one of the row's
// charset (a destination's variant), else the UTF-8 message, as rows and tasks of older versions have it.
import { bodyName, inlineBody } from '../../core/deliveryTask';
import { summarizeError } from '../../errors';
import { CONTINUE, type DeliveryStep, known } from './step';

export const readBody: DeliveryStep = {
  name: 'read the body',
  async run(state) {
    const inline = inlineBody(state.task);
    if (inline) {
      state.raw = inline;
      return CONTINUE;
    }
    try {
      const charset = known(state.found, 'the row').row.charset;
      state.raw = (await state.deps.bodies.get(bodyName(state.task.messageId, charset))) ?? null;
      return CONTINUE;
    } catch (err) {
      // Nothing was sent: give a claimed row back as it was, so the queue's retry (or the poison path,
      // if storage keeps failing) finds it free instead of waiting out the lease.
      const found = known(state.found, 'the row');
      const held = known(state.held, 'the held row');
      if (state.claim) await state.deps.deliveries.replace(found.row, held.etag).catch(() => undefined);
      state.log.warn(`${state.label}: could not read the message body (${summarizeError(err)}); left for the queue to retry`);
      throw err;
    }
  },
};
