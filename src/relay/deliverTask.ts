// Relaying one recipient: find its row, claim it with an ETag-conditional update, send, record the
// outcome. Retries are new queue messages with a visibility delay, never a thrown error, so a
// deferral does not count towards the queue's poison threshold.
import { decideDelivery, planAfterTemporaryFailure, SmtpOutcome } from '../core/delivery';
import { timeOfMessageId } from '../core/ids';
import { DeliveryRow, RowChangedError, StoredRow } from '../storage/deliveryStore';
import type { DeliveryTask } from '../storage/deliveryQueue';
import { summarizeError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';

/** How long after its accept a task may still be waiting for its rows to be committed. */
export const ACCEPT_GRACE_MS = 60_000;
const ROW_POLL_MS = 100;
const ROW_POLL_DEADLINE_MS = 2_000;

export async function deliverTask(deps: RelayDeps, task: DeliveryTask, log: RelayLog): Promise<void> {
  const label = `message ${task.messageId} to ${task.recipient}`;
  const stored = await findRow(deps, task);
  if (!stored) return handleMissingRow(deps, task, log, label);

  const now = deps.now();
  const decision = decideDelivery(stored.row, now);
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

  const sending: DeliveryRow = {
    ...stored.row,
    status: 'sending',
    attempts: stored.row.attempts + 1,
    updatedAt: now,
    leaseUntil: new Date(now.getTime() + leaseMs(deps)),
    nextAttemptAt: undefined,
  };
  let etag: string;
  try {
    etag = await deps.deliveries.replace(sending, stored.etag);
  } catch (err) {
    if (err instanceof RowChangedError) {
      log.log(`${label}: another invocation claimed it first`);
      return;
    }
    throw err;
  }
  log.log(`${label}: sending, attempt ${sending.attempts}`);

  let raw: Buffer | undefined;
  try {
    raw = await deps.bodies.get(task.messageId);
  } catch (err) {
    // Nothing was sent: give the row back as it was, so the queue's retry (or the poison path, if
    // storage keeps failing) finds it free instead of waiting out the lease.
    await deps.deliveries.replace(stored.row, etag).catch(() => undefined);
    log.warn(`${label}: could not read the message body (${summarizeError(err)}); left for the queue to retry`);
    throw err;
  }
  const outcome: SmtpOutcome = raw
    ? await deps.smartHost.send({ from: sending.from, to: sending.address }, raw)
    : { kind: 'permanent', response: 'the message body is missing from storage' };
  const finished = deps.now();
  const next = await nextRow(deps, task, sending, outcome, finished, raw !== undefined);
  try {
    await deps.deliveries.replace(next, etag);
  } catch (err) {
    if (err instanceof RowChangedError) {
      log.warn(`${label}: ${next.status} but the row changed meanwhile (lease expired?); outcome not recorded`);
      return;
    }
    throw err;
  }
  // The reply text already begins with its basic and enhanced codes.
  log.log(`${label}: ${next.status}: ${next.response ?? ''}${next.nextAttemptAt ? ` (next attempt ${next.nextAttemptAt.toISOString()})` : ''}`);
  await recordEvent(deps, next, finished, log, label);
}

async function nextRow(deps: RelayDeps, task: DeliveryTask, sending: DeliveryRow, outcome: SmtpOutcome, at: Date, hasBody: boolean): Promise<DeliveryRow> {
  const base: DeliveryRow = {
    ...sending,
    smtpCode: outcome.smtpCode,
    enhancedCode: outcome.enhancedCode,
    response: outcome.response,
    updatedAt: at,
    leaseUntil: undefined,
  };
  if (outcome.kind === 'accepted') return { ...base, status: 'sent', sentAt: at };
  if (outcome.kind === 'permanent') return { ...base, status: hasBody ? 'bounced' : 'failed' };
  const plan = planAfterTemporaryFailure(sending.attempts, sending.queuedAt, at, retryPolicy(deps));
  if (plan.status === 'failed') return { ...base, status: 'failed', response: `${outcome.response} (${plan.reason})` };
  // The retry task goes first: if recording the deferral then fails, the task still finds the row.
  const delaySeconds = (plan.nextAttemptAt.getTime() - at.getTime()) / 1000;
  await deps.queue.enqueue(task, delaySeconds);
  return { ...base, status: 'deferred', nextAttemptAt: plan.nextAttemptAt };
}

async function findRow(deps: RelayDeps, task: DeliveryTask): Promise<StoredRow | undefined> {
  // The accept writes rows last; a task can surface a moment before its rows are committed.
  const deadline = Date.now() + ROW_POLL_DEADLINE_MS;
  for (;;) {
    const stored = await deps.deliveries.get(task.messageId, task.recipient);
    if (stored || Date.now() >= deadline || !withinAcceptGrace(deps, task)) return stored;
    await new Promise((resolve) => setTimeout(resolve, ROW_POLL_MS));
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
  const s = deps.config.smartHost;
  return s.connectTimeoutMs * 2 + s.socketTimeoutMs * 3 + 30_000;
}

export async function recordEvent(deps: RelayDeps, row: DeliveryRow, at: Date, log: RelayLog, label: string): Promise<void> {
  try {
    await deps.events.record([row], at);
  } catch (err) {
    // The deliveries row is the record of truth; the event is its time index.
    log.error(`${label}: ${row.status} recorded, but its event row could not be written (${summarizeError(err)})`);
  }
}
