// A task the queue gave up on (it failed maxDequeueCount times) is still an outcome: its recipient
// is marked failed with the reason, so nothing disappears silently.
import { isFinal } from '../core/delivery';
import { RowChangedError } from './ports';
import type { DeliveryTask } from '../core/deliveryTask';
import { recordEvent } from './deliverTask';
import type { RelayDeps, RelayLog } from './deps';

export async function recordPoisonTask(deps: RelayDeps, task: DeliveryTask, log: RelayLog): Promise<void> {
  const label = `message ${task.messageId} to ${task.recipient}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await deps.deliveries.get(task.messageId, task.recipient);
    if (!stored) {
      log.warn(`${label}: poison task has no delivery row; nothing to record`);
      return;
    }
    if (isFinal(stored.row.status)) {
      log.log(`${label}: poison task ignored, already ${stored.row.status}`);
      return;
    }
    const now = deps.now();
    const failed = {
      ...stored.row,
      status: 'failed' as const,
      updatedAt: now,
      leaseUntil: undefined,
      nextAttemptAt: undefined,
      response: `the relay could not process this delivery (moved to ${deps.config.poisonQueueName} after repeated failures)${stored.row.response ? `; last reply: ${stored.row.response}` : ''}`,
    };
    try {
      await deps.deliveries.replace(failed, stored.etag);
    } catch (err) {
      if (err instanceof RowChangedError) continue; // changed meanwhile: read it again
      throw err;
    }
    log.error(`${label}: failed: ${failed.response}`);
    await recordEvent(deps, failed, now, log, label);
    return;
  }
  throw new Error(`${label}: the row kept changing while recording the poison task`);
}
