// Relaying one recipient attempt, as an ordered list of named steps (each in ./steps): find the row,
// decide, run the policy checks, claim, read the body, prepare it, send, and record the outcome.
// A first delivery sends without a claim write (see decideDelivery); a redelivered task claims the
// row first. Retries are new queue messages with a visibility delay, never a thrown error, so a
// deferral does not count towards the queue's poison threshold.
import type { DeliveryTask } from '../core/deliveryTask';
import type { RelayDeps, RelayLog } from './deps';
import { POLICY_CHECKS } from './policies';
import { lookUpSuppressions } from './policies/checkSuppression';
import { releaseLease, takeLease } from './policies/takeLease';
import { PREPARE_STEPS } from './prepare';
import { claim } from './steps/claim';
import { decide } from './steps/decide';
import { findRow } from './steps/findRow';
import { planOutcome } from './steps/planOutcome';
import { reactToReply } from './steps/reactToReply';
import { readBody } from './steps/readBody';
import { RECORD_STEPS } from './steps/recordSteps';
import { scheduleRetry } from './steps/scheduleRetry';
import { send } from './steps/send';
import { type DeliveryState, type DeliveryStep, isStop, type QueueDelivery } from './steps/step';

export const DELIVERY_STEPS: readonly DeliveryStep[] = [
  // does not wait: the suppression list is read while the row is (see policies/checkSuppression.ts)
  lookUpSuppressions,
  findRow,
  decide,
  ...POLICY_CHECKS,
  claim,
  readBody,
  ...PREPARE_STEPS,
  // the concurrency lease covers the SMTP transaction only (policies/takeLease.ts)
  takeLease,
  send,
  releaseLease,
  planOutcome,
  scheduleRetry,
  // the row, its event, the suppression of a bounced address, the breaker's count and the metrics (steps/recordSteps.ts)
  ...RECORD_STEPS,
  reactToReply,
];

export async function deliverTask(deps: RelayDeps, task: DeliveryTask, log: RelayLog, delivery: QueueDelivery = { dequeueCount: 1 }): Promise<void> {
  await runSteps(DELIVERY_STEPS, { deps, task, delivery, log, label: `message ${task.messageId} to ${task.recipient}` });
}

/** Runs `steps` in order until one stops; a stop that asks for a recheck queues the task again first. */
export async function runSteps(steps: readonly DeliveryStep[], state: DeliveryState): Promise<void> {
  for (const step of steps) {
    const result = await step.run(state);
    if (!isStop(result)) continue;
    if (result.recheckInSeconds !== undefined) await state.deps.queue.enqueue(result.recheckTask ?? state.task, result.recheckInSeconds);
    state.log[result.level](`${state.label}: ${result.stop}`);
    return;
  }
}
