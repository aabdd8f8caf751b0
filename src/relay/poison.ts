// The operators' view of the poison tasks: what recordPoison marked failed and kept, and putting
// them back. A task is put back only while its recipient is still the failure recordPoison wrote
// (status failed, updated at that moment); a recipient final for any other reason is not sent
// again and its record is dropped. Putting back resets the row to `deferred`, due now, and then
// queues the next attempt (attempt = attempts + 1, so decide does not take it for a duplicate), with
// `heldBy` set so that the attempt claims the row first; in that order, so that no task can find the row still failed and be dropped. If the queue refuses,
// the row is set back. A row left deferred without a task (both failed) is put back again by the
// next request: the record stays until the task is queued, and decide skips a second copy.
import { isFinal } from '../core/delivery';
import { newDeliveryTask, type DeliveryTask } from '../core/deliveryTask';
import { parseJsonBody } from '../core/jsonBody';
import { MAX_REQUEUE_ALL, type RequeueInput, validatePoisonListQuery, validateRequeueBody } from '../core/poisonRequest';
import type { Validated } from '../core/sendRequest';
import { orStorageUnavailable, PayloadTooLargeError, summarizeError, ValidationError } from '../errors';
import { checkContentType } from './acceptMessage';
import type { DeliveryRow, PoisonRecord } from './ports';
import type { RelayDeps, RelayLog } from './deps';

export interface PoisonView {
  id: string;
  messageId: string;
  recipient: string;
  attempts: number;
  poisonedAt: string;
  /** the recipient's last reply before the relay gave up, if it had one */
  lastResponse: string | null;
}

export interface PoisonListPage {
  items: PoisonView[];
  continuationToken: string | null;
}

export interface RequeueAnswer {
  /** how many tasks are queued again */
  requeued: number;
  ids: string[];
  /** not put back, and dropped: the recipient is final for another reason */
  skipped: { id: string; reason: string }[];
  /** not put back, and kept: try again */
  failed: { id: string; reason: string }[];
  /** `all` stopped at its cap: more records are left */
  more: boolean;
}

export const MAX_REQUEUE_BODY_BYTES = 16 * 1024;

/**
 * The reset row's `heldBy`: a held row is claimed (ETag-conditional) before it is sent, so the put-back
 * task and a retry task of the same attempt still in the queue from before cannot both send it.
 */
export const REQUEUED_BY = 'operator-requeue';

export async function listPoison(deps: RelayDeps, query: readonly (readonly [string, string])[]): Promise<PoisonListPage> {
  const input = valid(validatePoisonListQuery(query));
  const page = await storage(() => deps.poisonTasks.list(input.limit, input.after));
  return { items: page.items.map(toView), continuationToken: page.next ?? null };
}

export async function requeuePoison(
  deps: RelayDeps,
  query: readonly (readonly [string, string])[],
  input: { contentType: string | null; body: Buffer },
  log: RelayLog,
): Promise<RequeueAnswer> {
  const extra = query.find(([name]) => name !== 'code');
  if (extra) throw new ValidationError([{ field: extra[0].slice(0, 100) || '(empty name)', message: 'is not a known query parameter' }]);
  checkContentType(input.contentType);
  if (input.body.length > MAX_REQUEUE_BODY_BYTES) throw new PayloadTooLargeError(`The body is ${input.body.length} bytes; at most ${MAX_REQUEUE_BODY_BYTES}`);
  const request = valid(validateRequeueBody(valid(parseJsonBody(input.body))));
  const answer: RequeueAnswer = { requeued: 0, ids: [], skipped: [], failed: [], more: false };
  const { ids, more } = await storage(() => targets(deps, request));
  answer.more = more;
  for (const id of ids) {
    const outcome = await requeueOne(deps, id, log).catch((err: unknown) => ({ failed: `storage failed (${summarizeError(err)}); try again` }));
    if ('failed' in outcome) answer.failed.push({ id, reason: outcome.failed });
    else if ('skipped' in outcome) answer.skipped.push({ id, reason: outcome.skipped });
    else {
      answer.requeued++;
      answer.ids.push(id);
    }
  }
  log.log(`poison: ${answer.requeued} task(s) put back by an operator, ${answer.skipped.length} skipped, ${answer.failed.length} failed`);
  return answer;
}

async function targets(deps: RelayDeps, request: RequeueInput): Promise<{ ids: string[]; more: boolean }> {
  if ('ids' in request) return { ids: request.ids, more: false };
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await deps.poisonTasks.list(Math.min(100, MAX_REQUEUE_ALL - ids.length), after);
    ids.push(...page.items.map((r) => r.id));
    after = page.next;
  } while (after !== undefined && ids.length < MAX_REQUEUE_ALL);
  return { ids, more: after !== undefined };
}

type Outcome = { requeued: true } | { skipped: string } | { failed: string };

async function requeueOne(deps: RelayDeps, id: string, log: RelayLog): Promise<Outcome> {
  const record = await deps.poisonTasks.get(id);
  if (!record) return { failed: 'no poison task with this id' };
  const label = `message ${record.messageId} to ${record.recipient}`;
  const stored = await deps.deliveries.get(record.messageId, record.recipient);
  if (!stored) return { failed: 'its delivery row is gone' };
  const { row } = stored;
  const stillPoisoned = row.status === 'failed' && row.updatedAt.getTime() === record.failedAt.getTime();
  if (isFinal(row.status) && !stillPoisoned) {
    await deps.poisonTasks.delete(id);
    log.log(`${label}: poison task not put back, the recipient is already ${row.status}`);
    return { skipped: `the recipient is already ${row.status}; it is not sent again` };
  }
  if (stillPoisoned) {
    const now = deps.now();
    const reset: DeliveryRow = {
      ...row,
      status: 'deferred',
      nextAttemptAt: now,
      updatedAt: now,
      heldBy: REQUEUED_BY,
      response: `put back by an operator after: ${row.response ?? ''}`.slice(0, 2000),
    };
    let etag: string;
    try {
      etag = await deps.deliveries.replace(reset, stored.etag);
    } catch (err) {
      return { failed: `the row could not be reset (${summarizeError(err)}); try again` };
    }
    try {
      await deps.queue.enqueue(nextTask(record.task, row.attempts + 1));
    } catch (err) {
      await deps.deliveries.replace(row, etag).catch(() => undefined);
      return { failed: `the task could not be queued (${summarizeError(err)}); try again` };
    }
  } else {
    // a row an earlier request reset without queuing its task
    await deps.queue.enqueue(nextTask(record.task, row.attempts + 1));
  }
  await deps.poisonTasks.delete(id).catch((err: unknown) => log.warn(`${label}: put back, but its poison record stays (${summarizeError(err)})`));
  log.log(`${label}: poison task put back by an operator, attempt ${row.attempts + 1}`);
  return { requeued: true };
}

/** The task for the next attempt, with the body it carried (a v1 task's body is in its blob). */
function nextTask(task: DeliveryTask, attempt: number): DeliveryTask {
  const inline = task.body !== undefined ? { body: task.body } : task.bodyBase64 !== undefined ? { bodyBase64: task.bodyBase64 } : undefined;
  return newDeliveryTask(task.messageId, task.recipient, attempt, inline);
}

function toView(record: PoisonRecord): PoisonView {
  return {
    id: record.id,
    messageId: record.messageId,
    recipient: record.recipient,
    attempts: record.attempts,
    poisonedAt: record.poisonedAt.toISOString(),
    lastResponse: record.lastResponse ?? null,
  };
}

function valid<T>(validated: Validated<T>): T {
  if (!validated.ok) throw new ValidationError(validated.errors);
  return validated.value;
}

function storage<T>(action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, 'Storage failed while reading the poison tasks. Retry later: the same request can be repeated safely.');
}
