// Relaying one recipient attempt: read its row, decide, send, record the outcome. A first delivery
// sends without a claim write (see decideDelivery); a redelivered task claims the row first.
// Retries are new queue messages with a visibility delay, never a thrown error, so a deferral does
// not count towards the queue's poison threshold.
import { decideDelivery, planAfterTemporaryFailure, SmtpOutcome } from '../core/delivery';
import { timeOfMessageId } from '../core/ids';
import { DeliveryRow, RowChangedError, StoredRow } from '../storage/deliveryStore';
import { DeliveryTask, inlineBody } from '../storage/deliveryQueue';
import { summarizeError } from '../errors';
import { deliveryAttemptBoundMs } from '../config';
import type { RelayDeps, RelayLog } from './deps';

/** How long after its accept a task may still be waiting for its rows to be committed. */
export const ACCEPT_GRACE_MS = 60_000;
/** First wait for rows not yet committed; it doubles. The commit usually lands within milliseconds. */
const ROW_POLL_FIRST_MS = 5;
const ROW_POLL_DEADLINE_MS = 2_000;

/** What the queue says about this delivery of the task (the trigger's metadata). */
export interface QueueDelivery {
  queueMessageId?: string;
  dequeueCount: number;
}

export async function deliverTask(deps: RelayDeps, task: DeliveryTask, log: RelayLog, delivery: QueueDelivery = { dequeueCount: 1 }): Promise<void> {
  const label = `message ${task.messageId} to ${task.recipient}`;
  const stored = await findRow(deps, task);
  if (!stored) return handleMissingRow(deps, task, log, label);

  const now = deps.now();
  const redelivered = delivery.dequeueCount > 1;
  const decision = decideDelivery(stored.row, { attempt: task.attempt, queueMessageId: delivery.queueMessageId, redelivered }, now);
  if (decision.action === 'skip') {
    log.log(`${label}: skipped, ${decision.reason}`);
    return;
  }
  if (decision.action === 'wait') {
    const delaySeconds = Math.max(1, Math.ceil((decision.until.getTime() - now.getTime()) / 1000));
    await deps.queue.enqueue(task, delaySeconds);
    log.log(`${label}: not now, ${decision.reason}; checking again in ${delaySeconds}s`);
    return;
  }

  const attempt = decision.attempt;
  let current: StoredRow = stored;
  if (decision.claim) {
    const claimed = await claim(deps, stored, attempt, delivery, now);
    if (!claimed) {
      log.log(`${label}: another invocation claimed it first`);
      return;
    }
    current = claimed;
  }
  const again = redelivered ? ` (the task came back after an invocation that did not finish; the smart host may have it already)` : '';
  log.log(`${label}: sending, attempt ${attempt}${again}`);

  const raw = await readBody(deps, task, current, decision.claim ? stored.row : undefined, log, label);
  const outcome: SmtpOutcome = raw
    ? await deps.smartHost.send({ from: current.row.from, to: current.row.address }, raw)
    : { kind: 'permanent', response: 'the message body is missing from storage' };
  const finished = deps.now();
  const next = await nextRow(deps, task, current.row, attempt, outcome, finished, raw);
  try {
    await deps.deliveries.replace(next, current.etag);
  } catch (err) {
    if (err instanceof RowChangedError) {
      log.warn(`${label}: ${next.status} but the row changed meanwhile (a duplicate task?); outcome not recorded`);
      return;
    }
    throw err;
  }
  // The reply text already begins with its basic and enhanced codes.
  log.log(`${label}: ${next.status}: ${next.response ?? ''}${next.nextAttemptAt ? ` (next attempt ${next.nextAttemptAt.toISOString()})` : ''}`);
  await recordEvent(deps, next, finished, log, label);
}

/** Marks the row `sending` under a lease held by this queue message; undefined if another got there first. */
async function claim(deps: RelayDeps, stored: StoredRow, attempt: number, delivery: QueueDelivery, now: Date): Promise<StoredRow | undefined> {
  const redeliveries = (stored.row.redeliveries ?? 0) + (delivery.dequeueCount > 1 ? 1 : 0);
  const sending: DeliveryRow = {
    ...stored.row,
    status: 'sending',
    attempts: attempt,
    updatedAt: now,
    leaseUntil: new Date(now.getTime() + leaseMs(deps)),
    leaseOwner: delivery.queueMessageId,
    nextAttemptAt: undefined,
    redeliveries,
  };
  try {
    return { row: sending, etag: await deps.deliveries.replace(sending, stored.etag) };
  } catch (err) {
    if (err instanceof RowChangedError) return undefined;
    throw err;
  }
}

/** The body from the task, else from its blob; undefined when the blob is gone. */
async function readBody(deps: RelayDeps, task: DeliveryTask, current: StoredRow, unclaimed: DeliveryRow | undefined, log: RelayLog, label: string): Promise<Buffer | undefined> {
  const inline = inlineBody(task);
  if (inline) return inline;
  try {
    return await deps.bodies.get(task.messageId);
  } catch (err) {
    // Nothing was sent: give a claimed row back as it was, so the queue's retry (or the poison path,
    // if storage keeps failing) finds it free instead of waiting out the lease.
    if (unclaimed) await deps.deliveries.replace(unclaimed, current.etag).catch(() => undefined);
    log.warn(`${label}: could not read the message body (${summarizeError(err)}); left for the queue to retry`);
    throw err;
  }
}

async function nextRow(deps: RelayDeps, task: DeliveryTask, row: DeliveryRow, attempt: number, outcome: SmtpOutcome, at: Date, raw: Buffer | undefined): Promise<DeliveryRow> {
  const base: DeliveryRow = {
    ...row,
    attempts: attempt,
    smtpCode: outcome.smtpCode,
    enhancedCode: outcome.enhancedCode,
    response: outcome.response,
    updatedAt: at,
    leaseUntil: undefined,
    leaseOwner: undefined,
    nextAttemptAt: undefined,
  };
  if (outcome.kind === 'accepted') return { ...base, status: 'sent', sentAt: at };
  if (outcome.kind === 'permanent') return { ...base, status: raw ? 'bounced' : 'failed' };
  const plan = planAfterTemporaryFailure(attempt, row.queuedAt, at, retryPolicy(deps));
  if (plan.status === 'failed') return { ...base, status: 'failed', response: `${outcome.response} (${plan.reason})` };
  // The retry task goes first: if recording the deferral then fails, the task still finds the row.
  const delaySeconds = (plan.nextAttemptAt.getTime() - at.getTime()) / 1000;
  // The same task, numbered for the next attempt: an inline body travels on as it is, and a task
  // from before attempts were numbered (v1) keeps its body in the blob.
  await deps.queue.enqueue({ ...task, v: 2, attempt: attempt + 1 }, delaySeconds);
  return { ...base, status: 'deferred', nextAttemptAt: plan.nextAttemptAt };
}

async function findRow(deps: RelayDeps, task: DeliveryTask): Promise<StoredRow | undefined> {
  // The accept writes rows last; a task can surface a moment before its rows are committed.
  const deadline = Date.now() + ROW_POLL_DEADLINE_MS;
  for (let waitMs = ROW_POLL_FIRST_MS; ; waitMs *= 2) {
    const stored = await deps.deliveries.get(task.messageId, task.recipient);
    if (stored || Date.now() >= deadline || !withinAcceptGrace(deps, task)) return stored;
    await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, deadline - Date.now())));
  }
}

async function handleMissingRow(deps: RelayDeps, task: DeliveryTask, log: RelayLog, label: string): Promise<void> {
  if (withinAcceptGrace(deps, task)) {
    await deps.queue.enqueue(task, 2);
    log.log(`${label}: no delivery row yet (accept still in progress?); checking again in 2s`);
    return;
  }
  log.warn(`${label}: dropped, no delivery row exists (its accept was rolled back)`);
}

function withinAcceptGrace(deps: RelayDeps, task: DeliveryTask): boolean {
  const acceptedAt = timeOfMessageId(task.messageId);
  return acceptedAt !== undefined && deps.now().getTime() - acceptedAt.getTime() < ACCEPT_GRACE_MS;
}

function retryPolicy(deps: RelayDeps) {
  const c = deps.config;
  return { firstDelaySeconds: c.retryFirstDelaySeconds, maxDelaySeconds: c.retryMaxDelaySeconds, maxRetrySeconds: c.maxRetrySeconds };
}

/** Long enough to cover one whole SMTP transaction at its timeouts, so a live sender is never overtaken. */
function leaseMs(deps: RelayDeps): number {
  return deliveryAttemptBoundMs(deps.config.smartHost);
}

export async function recordEvent(deps: RelayDeps, row: DeliveryRow, at: Date, log: RelayLog, label: string): Promise<void> {
  try {
    await deps.events.record([row], at);
  } catch (err) {
    // The deliveries row is the record of truth; the event is its time index.
    log.error(`${label}: ${row.status} recorded, but its event row could not be written (${summarizeError(err)})`);
  }
}
