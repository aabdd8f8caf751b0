// Find the row. The accept writes rows last, so a task can surface a moment before its rows are
// committed: poll briefly, then look again later while the accept may still be running.
import { timeOfMessageId } from '../../core/ids';
import type { RelayDeps } from '../deps';
import type { DeliveryTask } from '../../core/deliveryTask';
import { CONTINUE, type DeliveryStep, stop } from './step';

/** How long after its accept a task may still be waiting for its rows to be committed. */
export const ACCEPT_GRACE_MS = 60_000;
/** First wait for rows not yet committed; it doubles. The commit usually lands within milliseconds. */
const ROW_POLL_FIRST_MS = 5;
const ROW_POLL_DEADLINE_MS = 2_000;
const RECHECK_MISSING_ROW_SECONDS = 2;

export const findRow: DeliveryStep = {
  name: 'find the row',
  async run(state) {
    const { deps, task } = state;
    const deadline = Date.now() + ROW_POLL_DEADLINE_MS;
    for (let waitMs = ROW_POLL_FIRST_MS; ; waitMs *= 2) {
      state.found = await deps.deliveries.get(task.messageId, task.recipient);
      if (state.found) return CONTINUE;
      if (Date.now() >= deadline || !withinAcceptGrace(deps, task)) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, deadline - Date.now())));
    }
    if (withinAcceptGrace(deps, task)) {
      return stop(`no delivery row yet (accept still in progress?); checking again in ${RECHECK_MISSING_ROW_SECONDS}s`, 'log', RECHECK_MISSING_ROW_SECONDS);
    }
    return stop('dropped, no delivery row exists (its accept was rolled back)', 'warn');
  },
};

function withinAcceptGrace(deps: RelayDeps, task: DeliveryTask): boolean {
  const acceptedAt = timeOfMessageId(task.messageId);
  return acceptedAt !== undefined && deps.now().getTime() - acceptedAt.getTime() < ACCEPT_GRACE_MS;
}
