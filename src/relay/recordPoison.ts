// A task the queue gave up on (it failed maxDequeueCount times) is still an outcome: its recipient
// is marked failed with the reason, so nothing disappears silently. The task itself is kept (the
// poison records, storage/poisonStore) before the row is written, so that an operator can put it
// back (relay/poison.ts); a record whose row turned out final meanwhile is dropped again.
//
// The poison queue has no poison queue of its own: in Azure a failed invocation here leaves its
// message invisible for the host's 10-minute lease, and after maxDequeueCount tries the message is
// never processed again. So a storage error must not fail the invocation lightly: transient errors are
// retried here with back-off, and if storage stays down the task is put back on the poison queue as a
// new message (a fresh dequeue count) before the invocation ends.
import { isFinal } from '../core/delivery';
import { poisonId } from '../core/poisonRequest';
import { summarizeError } from '../errors';
import { RowChangedError } from './ports';
import type { DeliveryTask } from '../core/deliveryTask';
import { recordEvent } from './steps/recordEvent';
import type { RelayDeps, RelayLog } from './deps';

export interface PoisonRecordingPolicy {
  /** waits between tries inside one invocation; their sum stays far below functionTimeout */
  retryDelaysMs: readonly number[];
  /** when the task is put back on the poison queue, it comes due again after this */
  requeueDelaySeconds: number;
}

export const POISON_RECORDING: PoisonRecordingPolicy = { retryDelaysMs: [500, 1000, 2000, 4000, 8000], requeueDelaySeconds: 15 };

export async function recordPoisonTask(deps: RelayDeps, task: DeliveryTask, log: RelayLog, policy: PoisonRecordingPolicy = POISON_RECORDING): Promise<void> {
  const label = `message ${task.messageId} to ${task.recipient}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await recordOnce(deps, task, log, label);
    } catch (err) {
      if (!isTransientStorageError(err)) {
        log.error(`${label}: could not record the poison task (${summarizeError(err)}); left to the queue to deliver again`);
        throw err;
      }
      const delayMs = policy.retryDelaysMs[attempt];
      if (delayMs === undefined) return requeueOrThrow(deps, task, log, label, err, policy);
      log.warn(`${label}: recording the poison task failed (${summarizeError(err)}); trying again in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

async function requeueOrThrow(deps: RelayDeps, task: DeliveryTask, log: RelayLog, label: string, err: unknown, policy: PoisonRecordingPolicy): Promise<void> {
  const tries = policy.retryDelaysMs.length + 1;
  try {
    await deps.poisonQueue.enqueue(task, policy.requeueDelaySeconds);
  } catch (requeueErr) {
    log.error(
      `${label}: storage failed ${tries} times while recording the poison task (${summarizeError(err)}) and it could not be put back (${summarizeError(requeueErr)}); left to the queue to deliver again`,
    );
    throw err;
  }
  log.error(
    `${label}: storage failed ${tries} times while recording the poison task (${summarizeError(err)}); put it back on the poison queue, due again in ${policy.requeueDelaySeconds}s`,
  );
}

async function recordOnce(deps: RelayDeps, task: DeliveryTask, log: RelayLog, label: string): Promise<void> {
  // a record kept before a replace that lost its race; dropped again if the row turns out final
  let kept = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await deps.deliveries.get(task.messageId, task.recipient);
    if (!stored || isFinal(stored.row.status)) {
      if (kept) await deps.poisonTasks.delete(poisonId(task.messageId, task.recipient));
      if (!stored) log.warn(`${label}: poison task has no delivery row; nothing to record`);
      else log.log(`${label}: poison task ignored, already ${stored.row.status}`);
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
    const id = poisonId(task.messageId, task.recipient);
    await deps.poisonTasks.put({
      id,
      messageId: task.messageId,
      recipient: task.recipient,
      task,
      poisonedAt: now,
      failedAt: now,
      attempts: stored.row.attempts,
      ...(stored.row.response ? { lastResponse: stored.row.response } : {}),
    });
    try {
      await deps.deliveries.replace(failed, stored.etag);
    } catch (err) {
      if (err instanceof RowChangedError) {
        kept = true; // changed meanwhile: read it again
        continue;
      }
      throw err;
    }
    log.error(`${label}: failed: ${failed.response}`);
    await recordEvent(deps, failed, now, log, label);
    return;
  }
  throw new Error(`${label}: the row kept changing while recording the poison task`);
}

const transientStatuses = new Set([408, 429, 500, 502, 503, 504]);

/** A storage error worth trying again: no answer at all (the network), or a status that says "later". */
export function isTransientStorageError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof RowChangedError) return false;
  const { statusCode } = err as { statusCode?: unknown };
  if (typeof statusCode === 'number') return transientStatuses.has(statusCode);
  const { code } = err as { code?: unknown };
  return err.name === 'RestError' || (typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR)/.test(code));
}
