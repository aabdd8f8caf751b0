// Events an upstream reports after its 250 (SendGrid's webhook, ACS delivery reports, DSNs), matched
// to the recipient they concern (./matchUpstreamEvent) and applied: a late bounce makes the recipient
// `bounced`, with its category, suppression and the breaker's count; a complaint suppresses and counts;
// an unsubscribe suppresses for the sender domain. The event endpoints parse their upstream's format
// into UpstreamEvents and hand them here.
//
// Applied once: an event with an id is recorded in deps.appliedEvents before it is applied (and
// forgotten again if applying fails, so the upstream's retry is applied). Without an id, an event is
// applied idempotently by its effect: a bounced row is not bounced again, a suppression put is
// idempotent, and a complaint is recorded under (message, recipient) whatever its id, so one
// recipient's complaint about one message counts once even when two upstreams both report it.
//
// A bounce for a row that is still queued, sending or deferred is a race, not a mistake: an upstream
// only reports on a message it accepted, so some attempt got its 250 and that attempt's record is
// still on its way (the first attempt sends without a claim write) or was lost in a crash. The row
// becomes `bounced` all the same, which stops a retry that would bounce again; the attempt whose
// record is late then loses its conditional replace and logs it. Its attempt is counted here.
import { domainOf } from '../core/address';
import { orStorageUnavailable } from '../errors';
import { type Category } from '../core/categories';
import { classifyUpstreamReport, type ReportClassification, type UpstreamReport } from '../core/classify';
import { isFinal } from '../core/delivery';
import { suppressionExpiry } from '../core/suppression';
import { summarizeError } from '../errors';
import { countForBreaker, suppressAfter } from './afterVerdict';
import type { RelayDeps, RelayLog } from './deps';
import { type Match, matchUpstreamEvent } from './matchUpstreamEvent';
import { type DeliveryRow, RowChangedError } from './ports';

export interface UpstreamEvent extends UpstreamReport {
  /** the upstream's id for this event (SendGrid sg_event_id, Event Grid id), so it is applied once */
  eventId?: string;
  /** the recipient address the event is about */
  recipient: string;
  /** correlation, strongest first: a VERP return path, the relay's Message-ID, the upstream's id */
  returnPath?: string;
  internetMessageId?: string;
  upstreamId?: string;
  at: Date;
}

export interface AppliedSummary {
  /** changed a recipient, the suppression list or the breaker's counts */
  applied: number;
  /** said nothing new: a delivered or delayed report (not even looked up), or an event applied before */
  unchanged: number;
  /** matched no recipient of this relay: changed nothing */
  unmatched: number;
}

type Result = keyof AppliedSummary;

export async function applyUpstreamEvents(deps: RelayDeps, events: readonly UpstreamEvent[], log: RelayLog): Promise<AppliedSummary> {
  const summary: AppliedSummary = { applied: 0, unchanged: 0, unmatched: 0 };
  for (const [index, event] of events.entries()) {
    // The upstream retries the whole batch: what was applied already is applied once (see above).
    const result = await orStorageUnavailable(
      () => applyOne(deps, event, log),
      `Storage failed while applying upstream event ${index + 1} of ${events.length}; nothing more was applied. Retry later: events already applied are not applied twice.`,
    );
    summary[result]++;
  }
  if (events.length > 0) log.log(`upstream events: ${summary.applied} applied, ${summary.unchanged} unchanged, ${summary.unmatched} unmatched`);
  return summary;
}

async function applyOne(deps: RelayDeps, event: UpstreamEvent, log: RelayLog): Promise<Result> {
  const verdict = classifyUpstreamReport(event);
  // Delivered, deferred, opens and clicks say nothing the row does not already: not even looked up.
  if (verdict.verdict === 'delivered' || verdict.verdict === 'deferred' || verdict.verdict === 'ignored') return 'unchanged';
  const match = await matchUpstreamEvent(deps, event);
  if (!match) {
    // Not a recipient of ours: its address is someone else's mail, so only its domain is logged.
    log.warn(`upstream event ${describe(event, false)}: matched no recipient of this relay; nothing changed`);
    return 'unmatched';
  }
  const { row } = match.stored;
  const label = `message ${row.messageId} to ${row.recipientKey}`;
  // Complaints are keyed by what they are about, so that no second report counts them again.
  const onceKey = verdict.verdict === 'complaint' ? { source: 'complaint', id: `${row.messageId}/${row.recipientKey}` } : eventKeyOf(event);
  if (onceKey && !(await deps.appliedEvents.firstTime(onceKey.source, onceKey.id, deps.now()))) {
    log.log(`${label}: upstream event ${describe(event)} was applied before`);
    return 'unchanged';
  }
  try {
    return await applyVerdict(deps, event, verdict, match, label, log);
  } catch (err) {
    if (onceKey) await deps.appliedEvents.forget(onceKey.source, onceKey.id).catch(() => undefined);
    throw err;
  }
}

function eventKeyOf(event: UpstreamEvent): { source: string; id: string } | undefined {
  return event.eventId ? { source: event.source, id: event.eventId } : undefined;
}

async function applyVerdict(deps: RelayDeps, event: UpstreamEvent, verdict: ReportClassification, match: Match, label: string, log: RelayLog): Promise<Result> {
  const at = deps.now();
  const reason = reasonOf(event);
  if (verdict.verdict === 'bounced') return bounce(deps, event, verdict.category ?? 'other', match, label, log);
  const row = { ...match.stored.row, response: reason };
  if (verdict.verdict === 'complaint') {
    await suppressAfter(deps, row, 'complaint', at, log);
    countForBreaker(deps, row, { complaints: 1 }, at);
    await recordEvent(deps, { ...row, category: 'complaint' }, at, log, label);
    log.log(`${label}: complaint reported by ${event.source} (matched by ${match.by})`);
    return 'applied';
  }
  // unsubscribe: for the sender domain it came from only
  const scope = domainOf(row.from).toLowerCase();
  await deps.suppressions.put({
    address: row.recipientKey,
    scope,
    reason: reason.slice(0, 500),
    source: 'unsubscribe',
    createdAt: at,
    expiresAt: suppressionExpiry(at, deps.config.suppressionDays),
    messageId: row.messageId,
  });
  log.log(`${label}: unsubscribed at ${event.source}; suppressed for sender domain ${scope}`);
  return 'applied';
}

async function bounce(deps: RelayDeps, event: UpstreamEvent, category: Category, match: Match, label: string, log: RelayLog): Promise<Result> {
  let stored = match.stored;
  for (let attempt = 1; ; attempt++) {
    const before = stored.row;
    // Bounced, failed or suppressed already: a second report changes nothing; a sent row, or one in
    // the race described above, becomes bounced.
    if (isFinal(before.status) && before.status !== 'sent') return 'unchanged';
    const at = deps.now();
    const next: DeliveryRow = {
      ...before,
      status: 'bounced',
      smtpCode: event.smtpCode ?? before.smtpCode,
      enhancedCode: event.enhancedCode ?? before.enhancedCode,
      response: reasonOf(event),
      category,
      updatedAt: at,
      nextAttemptAt: undefined,
      leaseUntil: undefined,
      leaseOwner: undefined,
      heldBy: undefined,
    };
    try {
      await deps.deliveries.replace(next, stored.etag);
    } catch (err) {
      if (!(err instanceof RowChangedError) || attempt > 1) throw err;
      const again = await deps.deliveries.get(before.messageId, before.recipientKey);
      if (!again) return 'unchanged';
      stored = again;
      continue;
    }
    log.log(`${label}: ${before.status} -> bounced (${category}) by a late ${event.source} report (matched by ${match.by}): ${next.response ?? ''}`);
    await recordEvent(deps, next, at, log, label);
    await suppressAfter(deps, next, category, at, log);
    const hardBounces = category === 'invalid-recipient' ? 1 : 0;
    // A sent row's attempt was counted when it was sent; one in the race was never recorded.
    const attempts = before.status === 'sent' ? 0 : 1;
    if (hardBounces + attempts > 0) countForBreaker(deps, next, { attempts, hardBounces }, at);
    return 'applied';
  }
}

async function recordEvent(deps: RelayDeps, row: DeliveryRow, at: Date, log: RelayLog, label: string): Promise<void> {
  try {
    await deps.events.record([row], at);
  } catch (err) {
    // The deliveries row and the suppression list are the record; the event is their time index.
    log.error(`${label}: late ${row.status} recorded, but its event row could not be written (${summarizeError(err)})`);
  }
}

function reasonOf(event: UpstreamEvent): string {
  const text = event.response?.trim() || [event.enhancedCode, event.type].filter(Boolean).join(' ');
  return `${event.source} ${event.type}: ${text}`.slice(0, 2000);
}

function describe(event: UpstreamEvent, withAddress = true): string {
  const whom = withAddress ? event.recipient : `an address at ${event.recipient.slice(event.recipient.lastIndexOf('@') + 1)}`;
  return `${event.source} ${event.type}${event.eventId ? ` ${event.eventId}` : ''} for ${whom}`.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 300);
}
