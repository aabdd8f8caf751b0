// Accepting a message: validate, compose once, then write everything or nothing. The deliveries rows
// are written last, in one table transaction: they are the commit point. A queue task whose rows
// never appear is dropped by the relay, so a failure half way can leave no delivery behind.
// A small message travels inside its tasks; only a large one is written to a blob first. A single-
// recipient message therefore costs two storage writes here: its task and its row.
// Before anything is written, every recipient is looked up on the suppression list (one query each,
// in parallel): a suppressed one gets a row saying why and no task. Every message also gets its rows
// in the message index (one transaction, beside the tasks, shared with concurrent accepts' of the
// same hour: storage/partitionCommits) for the operators' list. A single-recipient message so costs
// four storage transactions alone, fewer when accepts overlap (about 3.5 at concurrency 8). The time
// of the suppression lookups travels in the tasks: the delivery skips its own while the list is
// unchanged since (policies/checkSuppression).
import { canonicalJson, checkIdempotencyKey, decideOnExistingKey, type Reservation } from '../core/idempotency';
import { newMessageId, sha256Hex } from '../core/ids';
import { recipientKey } from '../core/address';
import type { Destination, DestinationCharset } from '../core/policy/types';
import { parseJsonBody } from '../core/jsonBody';
import { senderDomain, type SendRequest, validateSendRequest } from '../core/sendRequest';
import {
  IdempotencyConflictError,
  orStorageUnavailable,
  PayloadTooLargeError,
  SenderNotAllowedError,
  StorageUnavailableError,
  UnsupportedMediaTypeError,
  summarizeError,
  ValidationError,
} from '../errors';
import { bodyName, encodeInlineBody, type InlineBody, newDeliveryTask } from '../core/deliveryTask';
import { applyingEntry, suppressedResponse, type SuppressionEntry } from '../core/suppression';
import { composeForRecipients, type RecipientBody } from './composeForRecipients';
import { oversizedResponse } from './policies/refuseOversized';
import { countOutcome } from './steps/recordMetrics';
import type { DeliveryRow, EnqueuedTask } from './ports';
import type { RelayDeps, RelayLog } from './deps';

export interface AcceptInput {
  contentType: string | null;
  body: Buffer;
  idempotencyKey: string | null;
}

export interface AcceptAnswer {
  id: string;
  /** completed when every recipient is final at accept (suppressed, or bounced as too large): nothing is left to send */
  status: 'queued' | 'completed';
  recipients: { address: string; status: AcceptedStatus }[];
}

export type AcceptedStatus = 'queued' | 'suppressed' | 'bounced';

export interface AcceptResult {
  answer: AcceptAnswer;
  /** true when this is the stored answer to an earlier request with the same Idempotency-Key */
  replayed: boolean;
}

export async function acceptMessage(deps: RelayDeps, input: AcceptInput, log: RelayLog): Promise<AcceptResult> {
  const { config } = deps;
  if (input.body.length > config.maxMessageBytes) {
    throw new PayloadTooLargeError(`The request body is ${input.body.length} bytes; at most ${config.maxMessageBytes} (RELAY_MAX_MESSAGE_BYTES) are accepted`);
  }
  checkContentType(input.contentType);
  const json = parseJson(input.body);
  if (input.idempotencyKey !== null) {
    const problem = checkIdempotencyKey(input.idempotencyKey);
    if (problem) throw new ValidationError([{ field: 'Idempotency-Key', message: problem }]);
  }
  const validated = validateSendRequest(json, { maxRecipients: config.maxRecipients });
  if (!validated.ok) throw new ValidationError(validated.errors);
  const request = validated.value;
  const now = deps.now();
  const prepared = await prepareAccept(deps, request, now);
  const { id, answer } = prepared;

  const key = input.idempotencyKey;
  if (key !== null) {
    const reservation: Reservation = { bodyHash: sha256Hex(canonicalJson(json)), messageId: id, createdAt: now, answer: JSON.stringify(answer) };
    const earlier = await storage('reserving the Idempotency-Key', () => reserveKey(deps, key, reservation));
    if (earlier) {
      log.log(`message ${earlier.id}: Idempotency-Key replayed, nothing new queued`);
      return { answer: earlier, replayed: true };
    }
  }

  try {
    await commitAccept(deps, prepared, log);
  } catch (err) {
    if (key !== null) await undo(log, id, 'Idempotency-Key reservation', () => deps.idempotency.release(key));
    throw err;
  }
  return { answer, replayed: false };
}

/** A validated request made ready to write: composed, its suppressions looked up, nothing written yet. */
export interface PreparedMessage {
  id: string;
  /** the message in UTF-8 */
  raw: Buffer;
  /** the message in each charset a recipient's destination asks for (composed once per charset) */
  variants: ReadonlyMap<DestinationCharset, Buffer>;
  rows: DeliveryRow[];
  answer: AcceptAnswer;
  now: Date;
  /** its tasks stay invisible until then (a scheduled send) */
  notBefore?: Date;
}

/** Every check that can refuse a validated request, without writing; storage is only read. */
export async function prepareAccept(deps: RelayDeps, request: SendRequest, now: Date, notBefore?: Date): Promise<PreparedMessage> {
  const { config } = deps;
  const domain = senderDomain(request);
  if (!config.allowedSenderDomains.has(domain)) throw new SenderNotAllowedError(domain);
  if (request.unsubscribe) checkUnsubscribeSettings(config);
  const id = newMessageId(now);
  const { raw, variants, forRecipient } = await composeForRecipients(deps, id, request, now);
  const suppressedBy = await storage('checking the suppression list', () => suppressionsOf(deps, request, now));
  const rows = request.recipients.map((r) => {
    const { destination, body } = forRecipient(r.address);
    const row = newRow(id, r.address, request, body, now, suppressedBy.get(recipientKey(r.address)), destination);
    return notBefore && row.status === 'queued' ? { ...row, nextAttemptAt: notBefore, sendAt: notBefore } : row;
  });
  const answer: AcceptAnswer = {
    id,
    status: rows.every((r) => r.status !== 'queued') ? 'completed' : 'queued',
    recipients: rows.map((r) => ({ address: r.address, status: r.status === 'suppressed' || r.status === 'bounced' ? r.status : 'queued' })),
  };
  return { id, raw, variants, rows, answer, now, ...(notBefore ? { notBefore } : {}) };
}

/** Writes a prepared message, all of it or none (StorageUnavailableError). */
export async function commitAccept(deps: RelayDeps, prepared: PreparedMessage, log: RelayLog): Promise<void> {
  const { id, raw, variants, rows, now, notBefore } = prepared;
  const delaySeconds = notBefore ? Math.max(0, Math.ceil((notBefore.getTime() - deps.now().getTime()) / 1000)) : 0;
  await writeAll(deps, prepared, log, delaySeconds);
  const queued = rows.filter((r) => r.status === 'queued').length;
  const suppressed = rows.filter((r) => r.status === 'suppressed').length;
  const bounced = rows.length - queued - suppressed;
  const also = `${suppressed > 0 ? `, ${suppressed} suppressed` : ''}${bounced > 0 ? `, ${bounced} bounced (too large for their destination)` : ''}`;
  const scheduled = notBefore ? `, to be sent at ${notBefore.toISOString()}` : '';
  const sizes = [...variants].map(([charset, v]) => `, ${v.length} in ${charset.toUpperCase()}`).join('');
  log.log(`message ${id}: queued for ${queued} recipient(s)${also}${scheduled}, ${raw.length} bytes${sizes}`);
  const note = rows.find((r) => r.status === 'queued' && r.response)?.response;
  if (note) log.warn(`message ${id}: ${note}`);
  if (queued < rows.length) {
    for (const row of rows) if (row.status !== 'queued') countOutcome(deps, row, now);
    await recordFinalAtAccept(deps, rows, now, log);
  }
}

/** The entry that stops each suppressed recipient, by recipient key: one query per recipient, in parallel. */
async function suppressionsOf(deps: RelayDeps, request: SendRequest, now: Date): Promise<Map<string, SuppressionEntry>> {
  const sender = senderDomain(request);
  const keys = request.recipients.map((r) => recipientKey(r.address));
  const found = await Promise.all(keys.map((k) => deps.suppressions.find(k)));
  const applying = new Map<string, SuppressionEntry>();
  keys.forEach((k, i) => {
    const entry = applyingEntry(found[i] ?? [], sender, now);
    if (entry) applying.set(k, entry);
  });
  return applying;
}

/**
 * The event rows of recipients final at accept (suppressed, or bounced as too large), as every other
 * final state gets one, so that operators' time-range reads see them. Only a message with such a
 * recipient pays for it; a failure is logged, the rows are the record.
 */
async function recordFinalAtAccept(deps: RelayDeps, rows: readonly DeliveryRow[], now: Date, log: RelayLog): Promise<void> {
  const final = rows.filter((r) => r.status !== 'queued');
  try {
    await deps.events.record(final, now);
  } catch (err) {
    const suppressed = final.filter((r) => r.status === 'suppressed').length;
    const bounced = final.length - suppressed;
    const which = [suppressed > 0 && `${suppressed} recipient(s) suppressed`, bounced > 0 && `${bounced} recipient(s) bounced as too large`]
      .filter(Boolean)
      .join(' and ');
    log.error(`message ${final[0]?.messageId ?? ''}: ${which}, but their event rows could not be written (${summarizeError(err)})`);
  }
}

async function writeAll(deps: RelayDeps, prepared: PreparedMessage, log: RelayLog, delaySeconds: number): Promise<void> {
  const { id, rows } = prepared;
  const queuedRows = rows.filter((row) => row.status === 'queued');
  // Each body a queued recipient needs, encoded once: inline in its tasks when small, else one blob.
  const bodies = new Map<DestinationCharset | undefined, { raw: Buffer; inline: InlineBody | undefined }>();
  for (const row of queuedRows) {
    if (bodies.has(row.charset)) continue;
    const raw = row.charset === undefined ? prepared.raw : prepared.variants.get(row.charset);
    if (!raw) throw new Error(`message ${id}: no ${row.charset ?? 'UTF-8'} body was composed`);
    bodies.set(row.charset, { raw, inline: encodeInlineBody(raw) });
  }
  // the suppression lookups were made at `now`, before any query was sent (prepareAccept)
  const suppressionsReadAt = prepared.now.toISOString();
  const tasks = queuedRows.map((row) => ({ ...newDeliveryTask(id, row.recipientKey, 1, bodies.get(row.charset)?.inline), suppressionsReadAt }));
  const blobs = [...bodies].filter(([, body]) => body.inline === undefined).map(([charset, body]) => ({ name: bodyName(id, charset), raw: body.raw }));
  const enqueued: EnqueuedTask[] = [];
  const written: string[] = [];
  let indexed = false;
  try {
    await Promise.all(blobs.map((blob) => deps.bodies.put(blob.name, blob.raw).then(() => void written.push(blob.name))));
    // The index rows go beside the tasks, before the commit point: an index row whose message has
    // no deliveries rows is skipped by the list, so one left behind by a failed undo is inert too.
    const indexing = deps.messageIndex.add(rows).then(() => {
      indexed = true;
    });
    const results = await Promise.allSettled([indexing, ...tasks.map((task) => deps.queue.enqueue(task, delaySeconds).then((t) => void enqueued.push(t)))]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await deps.deliveries.insertMessage(rows);
  } catch (err) {
    log.warn(`message ${id}: accept failed (${summarizeError(err)}); undoing what was written`);
    await Promise.all([
      ...enqueued.map((task) => undo(log, id, 'queue task', () => deps.queue.delete(task))),
      ...written.map((name) => undo(log, id, 'message body', () => deps.bodies.delete(name))),
      indexed ? undo(log, id, 'message index rows', () => deps.messageIndex.remove(rows)) : undefined,
    ]);
    throw new StorageUnavailableError('Storage did not accept the message; nothing was queued. Retry later (with the same Idempotency-Key).', err);
  }
}

/** Returns the earlier answer to replay, or undefined when this request now owns the key. */
async function reserveKey(deps: RelayDeps, key: string, reservation: Reservation): Promise<AcceptAnswer | undefined> {
  const result = await deps.idempotency.reserve(key, reservation);
  if (result.reserved) return undefined;
  const existing = result.existing;
  const messageExists = await deps.deliveries.hasMessage(existing.messageId);
  switch (decideOnExistingKey(existing, reservation.bodyHash, messageExists, reservation.createdAt)) {
    case 'replay':
      return JSON.parse(existing.answer) as AcceptAnswer;
    case 'body-conflict':
      throw new IdempotencyConflictError('This Idempotency-Key was used in the last 24 hours with a different body', [
        { field: 'Idempotency-Key', message: 'already used with a different body' },
      ]);
    case 'in-progress':
      throw new IdempotencyConflictError('A request with this Idempotency-Key is still being processed; retry in a minute', [
        { field: 'Idempotency-Key', message: 'a request with this key is in progress' },
      ]);
    case 'take-over':
      if (await deps.idempotency.takeOver(key, reservation, result.etag)) return undefined;
      throw new IdempotencyConflictError('A concurrent request with this Idempotency-Key took it first; retry', [
        { field: 'Idempotency-Key', message: 'a concurrent request with this key is in progress' },
      ]);
  }
}

function newRow(
  id: string,
  address: string,
  request: SendRequest,
  body: RecipientBody,
  now: Date,
  suppressedBy: SuppressionEntry | undefined,
  destination: Destination | undefined,
): DeliveryRow {
  const row: DeliveryRow = {
    messageId: id,
    recipientKey: recipientKey(address),
    address,
    status: 'queued',
    attempts: 0,
    from: request.from.address,
    subject: request.subject,
    tags: request.tags,
    ...(request.unsubscribe ? { unsubscribe: true } : {}),
    queuedAt: now,
    updatedAt: now,
    messageBytes: body.bytes,
    ...(body.charset ? { charset: body.charset } : {}),
    // until the smart host's reply replaces it, the status answer says why the recipient got UTF-8
    ...(body.note ? { response: body.note } : {}),
  };
  if (suppressedBy) {
    return { ...row, status: 'suppressed', response: suppressedResponse(suppressedBy), ...(suppressedBy.category ? { category: suppressedBy.category } : {}) };
  }
  // Too large for its destination (au: 3 MB): final now, nothing queued. Not suppressed and not
  // counted by the breaker: no server refused it and the address is fine; the message is too big.
  if (destination?.maxMessageBytes !== undefined && body.bytes > destination.maxMessageBytes) {
    return { ...row, status: 'bounced', category: 'message-too-large', response: oversizedResponse(body.bytes, destination) };
  }
  return row;
}

/** The relay cannot make a link without both; refused at accept rather than sent without the headers. */
function checkUnsubscribeSettings(config: RelayDeps['config']): void {
  const missing = [config.unsubscribeSecret ? undefined : 'RELAY_UNSUBSCRIBE_SECRET', config.publicUrl ? undefined : 'RELAY_PUBLIC_URL'].filter(Boolean);
  if (missing.length === 0) return;
  throw new ValidationError([
    { field: 'unsubscribe', message: `this relay cannot add unsubscribe links: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set` },
  ]);
}

export function checkContentType(contentType: string | null): void {
  const [mediaType, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    throw new UnsupportedMediaTypeError(`Content-Type is "${contentType ?? '(none)'}"; send the message as application/json`);
  }
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset && charset.replace(/"/g, '') !== 'charset=utf-8') {
    throw new UnsupportedMediaTypeError(`${charset} is not supported; JSON must be UTF-8`);
  }
}

function parseJson(body: Buffer): unknown {
  const parsed = parseJsonBody(body);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  return parsed.value;
}

function storage<T>(what: string, action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, `Storage failed while ${what}; nothing was queued. Retry later.`);
}

async function undo(log: RelayLog, id: string, what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    // Left behind, it is harmless: a task without rows is dropped by the relay, a body without rows is never read.
    log.warn(`message ${id}: could not remove the ${what} (${summarizeError(err)}); it is inert without delivery rows`);
  }
}
