// Holding a recipient back for a delivery policy (a paused sender, a rate slot, quiet hours, warm-up,
// a suspension). A hold is no attempt: the row keeps its status and attempts, names what holds it
// (`heldBy`) and when it goes on (`nextAttemptAt`), and the task goes back to the queue, invisible
// until then, once per wait. The row is written once per hold, not at each recheck of the same hold.
// The recipient's lifetime runs on while it is held: a hold that would end after it ends the
// recipient now instead (failed, `expired`; see ./lifetime.ts).
import type { DeliveryTask } from '../../core/deliveryTask';
import { DEFAULT_SMART_HOST } from '../../core/policy/types';
import { type DeliveryRow, RowChangedError } from '../ports';
import { recordEvent } from '../steps/recordEvent';
import { metricDestination } from '../steps/recordMetrics';
import { type DeliveryState, known, stop, type StepStop } from '../steps/step';
import { expire, recipientLifetime, unclaimed } from './lifetime';

/** The longest a queue message may stay invisible (Azure Storage Queues: 7 days). */
export const MAX_HOLD_SECONDS = 7 * 86400 - 60;

export interface Hold {
  /** what holds it, as the status shows it: `sender-paused:example.jp`, `rate:destination:jp-docomo`, ... */
  heldBy: string;
  /** when it goes on */
  until: Date;
  /** the log line's reason, e.g. "sender domain example.jp is paused (…)" */
  why: string;
  /** a send slot reserved for it: the task comes back carrying it and sends without reserving again */
  slotAt?: Date;
  /** the smart host whose rate the slot was reserved under */
  slotHost?: string;
  /**
   * a hold with no known end (a pause): `until` is only the next look, and the row is written once,
   * when the hold begins, not at each look
   */
  recheck?: boolean;
}

/** Holds the recipient; the step returns what this returns. */
export async function holdUntil(state: DeliveryState, hold: Hold): Promise<StepStop> {
  const found = known(state.found, 'the row');
  const attempt = known(state.attempt, 'the attempt');
  const now = known(state.decidedAt, 'the time of the decision');
  if (hold.until > recipientLifetime(state.deps.config, found.row).endsAt) return expire(state, hold.heldBy);
  const seconds = Math.min(MAX_HOLD_SECONDS, Math.max(0, Math.ceil((hold.until.getTime() - now.getTime()) / 1000)));
  // The warm-up count travels with the task, so a later hold of this attempt does not count it twice.
  const counted = state.warmupCountedAt
    ? withHost({ ...state.task, countedAt: state.warmupCountedAt.toISOString() }, 'countedHost', state.warmupCountedHost)
    : state.task;
  const task: DeliveryTask = hold.slotAt ? withHost({ ...counted, slotAt: hold.slotAt.toISOString() }, 'slotHost', hold.slotHost) : withoutSlot(counted);
  const why = `held, ${hold.why}; ${hold.recheck ? 'checking again' : 'going on'} in ${seconds}s`;
  const sameHold =
    found.row.heldBy === hold.heldBy && found.row.status !== 'sending' && (hold.recheck === true || sameMoment(found.row.nextAttemptAt, hold.until));
  if (!sameHold) {
    const held = heldRow(found.row, attempt, hold.heldBy, hold.until, now);
    try {
      await state.deps.deliveries.replace(held, found.etag);
    } catch (err) {
      // Another invocation changed the row and carries it on; a copy of this task would only race it.
      if (err instanceof RowChangedError) return stop('not held, the row changed meanwhile (a duplicate task?)', 'warn');
      throw err;
    }
    // recorded and counted once per hold, as the row is: a recheck of the same hold is not a new one;
    // the event is what operators' time-range reads (the dashboard's held count) see of it
    await recordEvent(state.deps, held, now, state.log, state.label);
    state.deps.metrics.count('held', { destination: metricDestination(state.deps, found.row.address) });
  }
  return { ...stop(why, 'log', seconds), recheckTask: task };
}

function withoutSlot(task: DeliveryTask): DeliveryTask {
  if (task.slotAt === undefined) return task;
  const copy = { ...task };
  delete copy.slotAt;
  delete copy.slotHost;
  return copy;
}

/** The task naming the host its slot or count is under; `default` goes unnamed, so a task without routes stays as small as before. */
function withHost(task: DeliveryTask, field: 'slotHost' | 'countedHost', host: string | undefined): DeliveryTask {
  if (host === undefined || host === DEFAULT_SMART_HOST) delete task[field];
  else task[field] = host;
  return task;
}

function sameMoment(a: Date | undefined, b: Date): boolean {
  return a !== undefined && Math.abs(a.getTime() - b.getTime()) < 1000;
}

/**
 * The row as held. A row found `sending` is a redelivered task's own or expired claim (decide let it
 * through): the claim is undone, back to the attempts before this one, or the requeued task (a new
 * queue message, so no longer the claim's owner) would find its attempt made and skip it for good.
 */
export function heldRow(row: DeliveryRow, attempt: number, heldBy: string, nextAttemptAt: Date, now: Date): DeliveryRow {
  return { ...unclaimed(row, attempt), heldBy, nextAttemptAt, updatedAt: now };
}
